/**
 * The project's Pulumi CLI (`node_modules/.bin/pulumi`, the `pulumi` devDependency) with a state
 * backend chosen the way a newcomer and a team both expect: the team's own backend when there is one
 * (PULUMI_BACKEND_URL, or a stored `pulumi login`), otherwise state on this machine under ~/.pulumi
 * (`file://~`), which needs no account. Pulumi.yaml names no backend: there it would outrank a stored
 * login, and a team would have to edit the project file to use theirs. `npm run up` (infra/run-pulumi.ts)
 * and every command that reads a deployed stack run it this way, so they see the same stacks.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** The project's root, where Pulumi.yaml is. */
export const PROJECT_ROOT = resolve(__dirname, "..");

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

/** Runs the Pulumi CLI with `args`; resolves its stdout or rejects with its stderr. */
export type PulumiCli = (args: string[]) => Promise<string>;

const PULUMI_BIN = resolve(PROJECT_ROOT, "node_modules", ".bin", "pulumi");

export const pulumiCli: PulumiCli = (args) =>
  new Promise((resolvePromise, reject) => {
    execFile(
      PULUMI_BIN,
      [...args, "--non-interactive"],
      { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024, env: pulumiEnvironment(process.env) },
      (error, stdout, stderr) => {
        if (error) reject(new Error((stderr || error.message).trim().replace(/\s+/g, " ").slice(0, 400)));
        else resolvePromise(stdout);
      },
    );
  });
