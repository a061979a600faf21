/**
 * `npm run preview|up|destroy|stack -- …`: the project's Pulumi CLI (`node_modules/.bin/pulumi`, on
 * Node 24) with the state backend stack-access/pulumi-cli.ts chooses: the team's own when there is
 * one, otherwise state on this machine (`file://~`), which needs no account.
 */
import { spawn } from "node:child_process";
import { pulumiEnvironment } from "../stack-access/pulumi-cli";

if (require.main === module) {
  // npm puts node_modules/.bin first on PATH: this is the pinned CLI (the `pulumi` devDependency).
  const child = spawn("pulumi", process.argv.slice(2), {
    stdio: "inherit",
    env: pulumiEnvironment(process.env),
  });
  child.on("exit", (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
  child.on("error", (error) => {
    process.stderr.write(`could not start pulumi (${error.message}): run npm install first\n`);
    process.exitCode = 1;
  });
}
