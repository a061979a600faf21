/**
 * A command's environment, written once for both of its sides: the program that starts it (a Pulumi
 * component's `local.Command`) writes each setting into its variable, and the command reads the
 * variable back through the same row, so a variable's name and its text are spelled in one place
 * (as lambda/config.ts's FORWARDER_ENVIRONMENT does for the forwarder, which imports nothing from
 * here). A test feeds the environment the component sets through the command's own reader.
 */
import { CommandError } from "./command-shell";

/** One variable: its name, the text a setting becomes (`write`), and the setting read back (`read`). */
export interface Variable<Written, Read> {
  name: string;
  write(value: Written): string;
  /**
   * The setting from the variable's trimmed text (undefined when unset or blank); throws a
   * CommandError naming the variable (`name`) and the fix.
   */
  read(text: string | undefined, name: string): Read;
}

/** Every variable of one command, by the setting it carries. */
export type Contract = Record<string, Variable<never, unknown>>;

export const variable = <Written, Read>(v: Variable<Written, Read>) => v;

/** A setting given as text and read as it is; `fix` is what the message says to do when it is missing. */
export const requiredText = (name: string, fix: string) =>
  variable<string, string>({
    name,
    write: (value) => value,
    read: (text, named) => {
      if (text === undefined) throw new CommandError(`${named} is not set: ${fix}`);
      return text;
    },
  });

/** A setting that may be absent: its text, or undefined. */
export const optionalText = (name: string) =>
  variable<string | undefined, string | undefined>({
    name,
    write: (value) => value ?? "",
    read: (text) => text,
  });

/** `true` or `false` (any case); unset is false. `setting` is the stack setting the message names. */
export const flag = (name: string, setting: string) =>
  variable<boolean, boolean>({
    name,
    write: (on) => String(on),
    read: (text, named) => {
      const value = (text ?? "false").toLowerCase();
      if (value === "true" || value === "false") return value === "true";
      throw new CommandError(`${named} must be true or false, got "${text}" (stack config ${setting})`);
    },
  });

export type WrittenOf<V> = V extends Variable<infer W, unknown> ? W : never;
export type ReadOf<V> = V extends Variable<never, infer R> ? R : never;

/** Reads one variable of `env` through its row. */
export function readVariable<R>(v: Variable<never, R>, env: NodeJS.ProcessEnv): R {
  const text = env[v.name]?.trim();
  return v.read(text === "" ? undefined : text, v.name);
}

/** Every setting of `contract` from `env`; the first problem throws. */
export function readEnvironment<C extends Contract>(
  contract: C,
  env: NodeJS.ProcessEnv,
): { [K in keyof C]: ReadOf<C[K]> } {
  const read: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(contract)) read[key] = readVariable(v, env);
  return read as { [K in keyof C]: ReadOf<C[K]> };
}
