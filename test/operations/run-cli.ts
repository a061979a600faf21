/** Runs an operations command's `main` as a test would: lines captured, stderr a terminal or not. */
import type { CliIO } from "../../operations/progress";

export interface Run {
  code: number;
  stdout: string[];
  stderr: string;
}

export async function runCli<D>(
  main: (argv: string[], env: NodeJS.ProcessEnv, io: CliIO, deps: D) => Promise<number>,
  argv: string[],
  env: NodeJS.ProcessEnv,
  options: { tty?: boolean; deps: D },
): Promise<Run> {
  const stdout: string[] = [];
  let stderr = "";
  const io: CliIO = {
    stdout: (line) => stdout.push(line),
    stderr: {
      write: (text) => {
        stderr += text;
      },
      isTTY: options.tty ?? false,
    },
  };
  const code = await main(argv, env, io, options.deps);
  return { code, stdout, stderr };
}
