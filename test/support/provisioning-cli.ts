import { type ChildProcess, execFile, spawn } from "node:child_process";
import * as path from "node:path";
import type { CommandIO } from "../../command-kit/command-runner";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface CliExit {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a provisioning command exactly as its component's `local.Command` does: `node --import tsx
 * <script> <operation>` from the project root, every input in the environment and nothing else
 * inherited, so a test sees what an operator would (async: the stand-in servers live in this process).
 */
export function runProvisioningCli(
  script: string,
  operation: string,
  env: Record<string, string>,
): Promise<CliExit> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", script, operation],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Starts a provisioning command as `runProvisioningCli` does, and returns at once: the test reads
 * its output as it comes (`stderr()`), may signal it (an interrupted `pulumi up`), and awaits `exit`.
 */
export function startProvisioningCli(
  script: string,
  operation: string,
  env: Record<string, string>,
): {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | NodeJS.Signals>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", script, operation], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const exit = new Promise<number | NodeJS.Signals>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal ?? 1)),
  );
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** A `CommandIO` that keeps what a command printed and the exit code it set. */
export function captureIO() {
  const out: string[] = [];
  const err: string[] = [];
  let code: number | undefined;
  const io: CommandIO = {
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
    exit: (c) => {
      code = c;
    },
  };
  return { io, out, err, code: () => code };
}
