/**
 * The one runner of every command: its arguments parsed against its options (`--help` prints the
 * usage), one way to fail (a CommandError's message alone, naming cause and fix; anything else
 * labelled unexpected; never a stack trace, which is noise to an operator and may quote request
 * data), one set of exit codes, and progress on stderr when stderr is a terminal.
 *
 * A command is a value: `{ usage, options, run }`. Its file runs it with `runMain(command)` under
 * `if (require.main === module)`; tests run it with `runCommand(command, argv, env, io)`.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { CommandError } from "./command-shell";
import { type Clock, type Describe, Progress, type ProgressState, type Terminal } from "./progress";

/** What a command's exit code says. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Where a command writes: results on stdout, messages on stderr, progress on the terminal. */
export interface CommandIO {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  exit: (code: number) => void;
  /** stderr as a terminal: progress is drawn on it only when it is a TTY. Default: none. */
  terminal?: Terminal;
  /** Resolves when the person asks the command to stop (Ctrl-C). Default: never. */
  interrupted?: () => Promise<void>;
}

export const processIO: CommandIO = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  exit: (code) => {
    process.exitCode = code;
  },
  terminal: process.stderr,
  // The listener stays while the command stops: a terminal's Ctrl-C reaches every process of its
  // group, so tsx's parent relays a second SIGINT, and with no listener left Node would exit at once,
  // before what the command closes on its way out (answers in flight, the store) is done.
  interrupted: () =>
    new Promise((resolve) => {
      process.on("SIGINT", () => resolve());
      process.on("SIGTERM", () => resolve());
    }),
};

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values<O extends Options> = ReturnType<
  typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>
>["values"];

export interface CommandInput<O extends Options> {
  values: Values<O>;
  /** Arguments that are not options (all of them with `passArguments`). */
  positionals: string[];
  env: NodeJS.ProcessEnv;
  io: CommandIO;
  /**
   * A progress line on the terminal for long work (drawn by `describe`; default rows listed and
   * stored); the runner ends it before any message.
   */
  progress<S = ProgressState>(clock?: Clock, describe?: Describe<S>): Progress<S>;
  /**
   * Resolves when the person stops the command (SIGINT, SIGTERM): a server awaits it, closes what it
   * opened and resolves its exit code, so a stop loses nothing.
   */
  untilInterrupted(): Promise<void>;
}

export interface Command<O extends Options = Options> {
  /** `usage: npm run … [--flag <value>]` and what it needs, printed by --help and after wrong usage. */
  usage: string;
  options?: O;
  /** Whether it takes arguments that are not options (the provisioning operation). */
  positionals?: boolean;
  /** Every argument goes to `run` untouched, `--help` included (a wrapper of another CLI). */
  passArguments?: boolean;
  /** The work: resolves to its exit code (default 0); a thrown CommandError is its failure. */
  run(input: CommandInput<O>): Promise<number | undefined> | Promise<void>;
}

/** Input a command cannot start with: every problem at once, then the usage; exit 1. */
export class InputProblems extends CommandError {
  override name = "InputProblems";
  constructor(
    what: string,
    readonly problems: readonly string[],
  ) {
    super(`${what}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** Runs `command` with `argv` and `env`; resolves its exit code, which it also hands to `io.exit`. */
export async function runCommand<O extends Options>(
  command: Command<O>,
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: CommandIO = processIO,
): Promise<number> {
  const code = await run(command, argv, env, io);
  io.exit(code);
  return code;
}

/** Runs `command` as this process: its arguments, environment and streams; sets its exit code. */
export function runMain<O extends Options>(command: Command<O>): Promise<number> {
  return runCommand(command, process.argv.slice(2), process.env, processIO);
}

/** A command run by a program (a Pulumi `local.Command`): its result, if any, is one JSON line on stdout. */
export function resultCommand<O extends Options>(
  command: Omit<Command<O>, "run"> & { run(input: CommandInput<O>): Promise<unknown> },
): Command<O> {
  return {
    ...command,
    run: async (input) => {
      const result = await command.run(input);
      if (result !== undefined) input.io.stdout(JSON.stringify(result));
      return EXIT.ok;
    },
  };
}

async function run<O extends Options>(
  command: Command<O>,
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: CommandIO,
): Promise<number> {
  let values: Values<O>;
  let positionals: string[];
  if (command.passArguments) {
    values = {} as Values<O>;
    positionals = argv;
  } else {
    try {
      const parsed = parseArgs({
        args: argv,
        options: { ...command.options, help: { type: "boolean" } },
        allowPositionals: command.positionals ?? false,
        strict: true,
      });
      if (parsed.values.help) {
        io.stdout(command.usage);
        return EXIT.ok;
      }
      values = parsed.values as Values<O>;
      positionals = parsed.positionals;
    } catch (error) {
      io.stderr(`${(error as Error).message}\n${command.usage}`);
      return EXIT.usage;
    }
  }

  const shown: { finish(): void }[] = [];
  const progress = <S = ProgressState>(clock: Clock = Date, describe?: Describe<S>): Progress<S> => {
    const line = new Progress<S>(io.terminal ?? { write: () => {}, isTTY: false }, clock, 500, describe);
    shown.push(line);
    return line;
  };
  try {
    const untilInterrupted = io.interrupted ?? (() => new Promise<void>(() => {}));
    return (await command.run({ values, positionals, env, io, progress, untilInterrupted })) ?? EXIT.ok;
  } catch (error) {
    for (const line of shown) line.finish();
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof InputProblems) io.stderr(`${message}\n${command.usage}`);
    else io.stderr(error instanceof CommandError ? message : `unexpected failure: ${message}`);
    return EXIT.failed;
  }
}
