/** Runs an operations command through the one runner as a test would: lines captured, stderr a terminal or not. */
import { type Command, runCommand } from "../../command-kit/command-runner";

export interface Run {
  code: number;
  stdout: string[];
  /** Messages and, on a terminal, the progress line, as the terminal would show them. */
  stderr: string;
}

export async function runCli(
  command: Command<any>,
  argv: string[],
  env: NodeJS.ProcessEnv,
  options: { tty?: boolean } = {},
): Promise<Run> {
  const stdout: string[] = [];
  let stderr = "";
  const code = await runCommand(command, argv, env, {
    stdout: (line) => stdout.push(line),
    stderr: (line) => {
      stderr += `${line}\n`;
    },
    exit: () => {},
    terminal: {
      write: (text) => {
        stderr += text;
      },
      isTTY: options.tty ?? false,
    },
  });
  return { code, stdout, stderr };
}
