/**
 * `npm run preview|up|destroy|stack -- …`: the project's Pulumi CLI (`node_modules/.bin/pulumi`, on
 * Node 24) with a state backend chosen the way a newcomer and a team both expect: the team's own
 * backend when there is one (PULUMI_BACKEND_URL, or a stored `pulumi login`), otherwise state on this
 * machine under ~/.pulumi (`file://~`), which needs no account. Pulumi.yaml names no backend: there
 * it would outrank a stored login, and a team would have to edit the project file to use theirs.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, readFileSync, realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";

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

/** The `pulumi` devDependency: an npm wrapper that downloads the CLI of its own version on first use. */
const PULUMI_PACKAGE = "pulumi";
/** What the wrapper fetches: Pulumi's install script, which then downloads the release archive. */
export const PULUMI_DOWNLOAD = "https://get.pulumi.com/install.sh";

/** Every executable named `pulumi` on PATH, in order. */
export function pulumisOnPath(env: NodeJS.ProcessEnv): string[] {
  return (env.PATH ?? "")
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, "pulumi"))
    .filter((file) => {
      try {
        accessSync(file, constants.X_OK);
        return statSync(file).isFile();
      } catch {
        return false;
      }
    });
}

/** Whether `file` is the npm wrapper (node_modules/.bin/pulumi → node_modules/pulumi/run.js). */
const isNpmWrapper = (file: string) => {
  try {
    return /[\\/]node_modules[\\/]pulumi[\\/]run\.js$/.test(realpathSync(file));
  } catch {
    return false;
  }
};

export interface PulumiCli {
  /** The executable to run. */
  bin: string;
  /** PATH for it: the pinned CLI's folder first, so its language hosts are found. */
  path?: string;
  /** Said once on stderr (e.g. that a pulumi from PATH replaces the pinned one). */
  notice?: string;
}

/**
 * The CLI to run: the first `pulumi` on PATH, except that npm's wrapper is resolved here (its
 * cached CLI, or a download), so a failed download says what was being fetched, from where, and
 * what to do offline: an installed `pulumi` further on PATH is then used instead.
 */
export async function choosePulumiCli(
  env: NodeJS.ProcessEnv,
  downloadPinned: () => Promise<string> = pinnedCliResolver(),
  version: string = env.PULUMI_VERSION || pinnedVersion(),
): Promise<PulumiCli | { problem: string }> {
  const found = pulumisOnPath(env);
  const first = found[0];
  if (!first)
    return { problem: "no pulumi on PATH: run npm install first (it brings the pinned Pulumi CLI)" };
  if (!isNpmWrapper(first)) return { bin: first };
  const installed = found.find((file) => !isNpmWrapper(file));
  try {
    const bin = await downloadPinned();
    return { bin, path: `${dirname(bin)}${delimiter}${env.PATH ?? ""}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = [(error as Error).message, cause?.code ?? cause?.message].filter(Boolean).join(": ");
    const what = `the Pulumi CLI v${version} (the version package.json pins) could not be downloaded from ${PULUMI_DOWNLOAD} into ${join(pulumiHome(env), "versions", version)} (${reason})`;
    if (installed)
      return {
        bin: installed,
        notice: `${what}; running the pulumi installed on PATH instead: ${installed}`,
      };
    return {
      problem:
        `${what}. Check the network or proxy (HTTPS_PROXY), or install Pulumi yourself ` +
        "(https://www.pulumi.com/docs/iac/download-install/) so that `pulumi` is on PATH: npm run up then runs that one. " +
        `Offline: unpack the v${version} archive as ${join(pulumiHome(env), "versions", version, "bin")} (docs/install-and-runtime.md).`,
    };
  }
}

const pulumiHome = (env: NodeJS.ProcessEnv) => env.PULUMI_HOME || join(homedir(), ".pulumi");

function pinnedVersion(): string {
  return (require(`${PULUMI_PACKAGE}/package.json`) as { version: string }).version;
}

/** The wrapper's own resolver: its cached CLI, or the download (PULUMI_VERSION as the wrapper reads it). */
function pinnedCliResolver(): () => Promise<string> {
  return () => {
    const { resolve } = require(`${PULUMI_PACKAGE}/lib/resolve`) as { resolve: () => Promise<string> };
    return resolve();
  };
}

async function main(): Promise<void> {
  const env = pulumiEnvironment(process.env);
  const cli = await choosePulumiCli(env);
  if ("problem" in cli) {
    process.stderr.write(`npm run: ${cli.problem}\n`);
    process.exitCode = 1;
    return;
  }
  if (cli.notice) process.stderr.write(`${cli.notice}\n`);
  const child = spawn(cli.bin, process.argv.slice(2), {
    stdio: "inherit",
    env: cli.path ? { ...env, PATH: cli.path } : env,
  });
  child.on("exit", (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
  child.on("error", (error) => {
    process.stderr.write(`could not start ${cli.bin} (${error.message}): run npm install first\n`);
    process.exitCode = 1;
  });
}

if (require.main === module) void main();
