/**
 * The forwarder's environment, written once: each variable's name, how a setting is written into it
 * (by the stack's WebhookForwarder, and by the backfill for rows written as the forwarder writes them)
 * and how the forwarder reads it back, with errors that name the variable. test/stack feeds the
 * environment the stack sets through loadConfig.
 */
import { checkApiHost } from "./api-host";
import { parsePath } from "./redaction/paths";
import { parseSourceList, type SourceCheck } from "./source-ip";

export const DEFAULT_DATASOURCE = "clerk_events";

// Tinybird's rule for resource names.
const DATASOURCE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface LoadOptions {
  /** False where secrets come from elsewhere (npm run dev, the backfill): SECRET_ID may be absent. */
  needsSecretId?: boolean;
}

/**
 * One variable: its name, the text a setting becomes (`write`), and the setting read back from the
 * text (`read`, given the trimmed text or undefined when unset or blank), each problem reported
 * through `problem` as a sentence after the variable's name.
 */
interface Variable<Written, Read> {
  name: string;
  write(value: Written): string;
  read(text: string | undefined, problem: (message: string) => void, options: LoadOptions): Read;
}

const variable = <Written, Read>(v: Variable<Written, Read>) => v;

const list = (items: string[]) => items.join(",");
const splitList = (text: string | undefined) =>
  (text ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");

/** `true` or `false`, any case; unset means `fallback`. */
const flag = (name: string, fallback: boolean) =>
  variable<boolean, boolean>({
    name,
    write: (on) => (on ? "true" : "false"),
    read: (text, problem) => {
      const value = text?.toLowerCase() ?? String(fallback);
      if (value !== "true" && value !== "false") problem(` is "${value}": use true or false`);
      return value === "true";
    },
  });

/** Every variable, in the order problems are listed; a field of ForwarderConfig each. */
export const FORWARDER_ENVIRONMENT = {
  /** Secrets Manager secret (ARN or name); absent only where secrets come from elsewhere (npm run dev). */
  secretId: variable<string | undefined, string | undefined>({
    name: "SECRET_ID",
    write: (id) => id ?? "",
    read: (text, problem, { needsSecretId = true }) => {
      if (needsSecretId && !text) problem(" is not set: give the ARN or name of the Secrets Manager secret");
      return text;
    },
  }),
  /** Tinybird API base URL, no trailing slash. */
  tinybirdHost: variable<string, string>({
    name: "TINYBIRD_HOST",
    write: (host) => host,
    read: (text, problem) => {
      if (!text) {
        problem(" is not set: give the workspace's API host, e.g. https://api.tinybird.co");
        return "";
      }
      const checked = checkApiHost(text);
      if (checked.ok) return checked.url.origin;
      problem(`: ${checked.problem}; e.g. https://api.tinybird.co`);
      return "";
    },
  }),
  dataSource: variable<string, string>({
    name: "TINYBIRD_DATASOURCE",
    write: (name) => name,
    read: (text, problem) => {
      const name = text ?? DEFAULT_DATASOURCE;
      if (!DATASOURCE_NAME.test(name)) problem(` "${name}" is not a Tinybird data source name`);
      return name;
    },
  }),
  /** Extra dot paths the redactor blanks, on top of its defaults (comma-separated). */
  redactPaths: variable<string[], string[]>({
    name: "REDACT_PATHS",
    write: list,
    read: (text, problem) => {
      const paths = splitList(text);
      for (const path of paths) {
        try {
          parsePath(path);
        } catch (error) {
          problem(`: ${(error as Error).message}`);
        }
      }
      return paths;
    },
  }),
  pseudonymize: flag("PSEUDONYMIZE_PERSONAL_DATA", false),
  /** Whether `private_metadata` is redacted whole. */
  redactPrivateMetadata: flag("REDACT_PRIVATE_METADATA", true),
  /** Whether a request's source address may call: addresses and CIDR blocks; none means every address. */
  allowSource: variable<string[], SourceCheck>({
    name: "ALLOWED_SOURCE_IPS",
    write: list,
    read: (text, problem) => {
      const sources = parseSourceList(text ?? "");
      if (sources.ok) return sources.check;
      for (const message of sources.problems) problem(`: ${message}`);
      return () => false;
    },
  }),
};

type Environment = typeof FORWARDER_ENVIRONMENT;
type WrittenOf<V> = V extends Variable<infer W, unknown> ? W : never;
type ReadOf<V> = V extends Variable<never, infer R> ? R : never;
type Optional<K extends keyof Environment> = undefined extends ReadOf<Environment[K]> ? K : never;

/** The forwarder's settings as it reads them: a field per variable. */
export type ForwarderConfig = {
  [K in keyof Environment as K extends Optional<K> ? never : K]: ReadOf<Environment[K]>;
} & { [K in keyof Environment as Optional<K>]?: ReadOf<Environment[K]> };

/** The forwarder's settings as the stack (or the backfill) gives them: a value per variable. */
export type ForwarderSettings = { [K in keyof Environment]: WrittenOf<Environment[K]> };

export type ConfigResult = { ok: true; config: ForwarderConfig } | { ok: false; problems: string[] };

/** The text a setting's value becomes in its variable (`FORWARDER_ENVIRONMENT[key].name`). */
export function writeVariable<K extends keyof ForwarderSettings>(
  key: K,
  value: ForwarderSettings[K],
): string {
  return (FORWARDER_ENVIRONMENT[key] as unknown as Variable<ForwarderSettings[K], unknown>).write(value);
}

/** The environment that configures a forwarder with `settings` (a variable per setting given). */
export function forwarderEnvironment(settings: Partial<ForwarderSettings>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of Object.keys(settings) as (keyof ForwarderSettings)[]) {
    const value = settings[key];
    if (value !== undefined) env[FORWARDER_ENVIRONMENT[key].name] = writeVariable(key, value);
  }
  return env;
}

export function loadConfig(env: Record<string, string | undefined>, options: LoadOptions = {}): ConfigResult {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(FORWARDER_ENVIRONMENT) as [string, Variable<never, unknown>][]) {
    const raw = env[v.name]?.trim();
    config[key] = v.read(
      raw === "" ? undefined : raw,
      (message) => problems.push(`${v.name}${message}`),
      options,
    );
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: config as ForwarderConfig };
}
