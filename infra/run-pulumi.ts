/**
 * `npm run preview|up|destroy|stack -- …`: the project's Pulumi CLI (`node_modules/.bin/pulumi`, on
 * Node 24) with a state backend chosen the way a newcomer and a team both expect: the team's own
 * backend when there is one (PULUMI_BACKEND_URL, or a stored `pulumi login`), otherwise state on this
 * machine under ~/.pulumi (`file://~`), which needs no account. Pulumi.yaml names no backend: there
 * it would outrank a stored login, and a team would have to edit the project file to use theirs.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** State on this machine, what `pulumi login --local` stores; a `git clean` cannot delete it. */
export const NO_ACCOUNT_BACKEND = "file://~";

/** The backend a stored `pulumi login` chose (`current` in credentials.json), if any. */
export function storedLogin(env: NodeJS.ProcessEnv): string | undefined {
  const home = env.PULUMI_HOME || join(homedir(), ".pulumi");
  try {
    const { current } = JSON.parse(readFileSync(join(home, "credentials.json"), "utf8")) as {
      current?: unknown;
    };
    return typeof current === "string" && current !== "" ? current : undefined;
  } catch {
    return undefined;
  }
}

/** The environment the CLI runs with: PULUMI_BACKEND_URL set only when nothing chose a backend. */
export function pulumiEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.PULUMI_BACKEND_URL || storedLogin(env)) return env;
  return { ...env, PULUMI_BACKEND_URL: NO_ACCOUNT_BACKEND };
}

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
