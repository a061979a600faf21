/**
 * `npm run preview|up|destroy|stack -- …`: the project's Pulumi CLI (`node_modules/.bin/pulumi`, on
 * Node 24) with the state backend stack-access/pulumi-cli.ts chooses: the team's own when there is
 * one, otherwise state on this machine (`file://~`), which needs no account.
 */
import { spawn } from "node:child_process";
import { runMain } from "../command-kit/command-runner";
import { pulumiEnvironment } from "../stack-access/pulumi-cli";

if (require.main === module) {
  void runMain({
    usage: "usage: npm run stack -- <any pulumi command>",
    passArguments: true,
    run: ({ positionals, env }) =>
      new Promise<number>((exit) => {
        // npm puts node_modules/.bin first on PATH: this is the pinned CLI (the `pulumi` devDependency).
        const child = spawn("pulumi", positionals, { stdio: "inherit", env: pulumiEnvironment(env) });
        child.on("exit", (code, signal) => exit(code ?? (signal ? 1 : 0)));
        child.on("error", (error) => {
          process.stderr.write(`could not start pulumi (${error.message}): run npm install first\n`);
          exit(1);
        });
      }),
  });
}
