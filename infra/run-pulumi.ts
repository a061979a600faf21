/**
 * `npm run preview|up|destroy|stack -- …`: the project's Pulumi CLI (`node_modules/.bin/pulumi`, on
 * Node 24) with the state backend stack-access/pulumi-cli.ts chooses: the team's own when there is
 * one, otherwise state on this machine (`file://~`), which needs no account. npm's `pulumi` wrapper
 * is resolved here (choosePulumiCli), so a failed download of the CLI says what, from where, and the
 * offline way.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { runMain } from "../command-kit/command-runner";
import { CommandError } from "../command-kit/command-shell";
import { pulumiEnvironment } from "../stack-access/pulumi-cli";

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

if (require.main === module) {
  void runMain({
    usage: "usage: npm run stack -- <any pulumi command>",
    passArguments: true,
    run: async ({ positionals, env: given, io }) => {
      const env = pulumiEnvironment(given);
      const cli = await choosePulumiCli(env);
      if ("problem" in cli) throw new CommandError(cli.problem);
      if (cli.notice) io.stderr(cli.notice);
      return new Promise<number>((exit) => {
        const child = spawn(cli.bin, positionals, {
          stdio: "inherit",
          env: cli.path ? { ...env, PATH: cli.path } : env,
        });
        child.on("exit", (code, signal) => exit(code ?? (signal ? 1 : 0)));
        child.on("error", (error) => {
          io.stderr(`could not start ${cli.bin} (${error.message}): run npm install first`);
          exit(1);
        });
      });
    },
  });
}
