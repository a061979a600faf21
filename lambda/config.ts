/** The forwarder's settings, read once from the environment, with errors that name the variable. */
import { checkApiHost } from "./api-host";
import { parsePath } from "./redaction/paths";
import { parseSourceList, type SourceCheck } from "./source-ip";

export interface ForwarderConfig {
  /** Secrets Manager secret (ARN or name); absent only where secrets come from elsewhere (npm run dev). */
  secretId?: string;
  /** Tinybird API base URL, no trailing slash. */
  tinybirdHost: string;
  dataSource: string;
  /** Extra dot paths the redactor blanks, on top of its defaults. */
  redactPaths: string[];
  pseudonymize: boolean;
  /** Whether `private_metadata` is redacted whole (REDACT_PRIVATE_METADATA, default true). */
  redactPrivateMetadata: boolean;
  /** Whether a request's source address may call (ALLOWED_SOURCE_IPS; unset: every address). */
  allowSource: SourceCheck;
}

export type ConfigResult = { ok: true; config: ForwarderConfig } | { ok: false; problems: string[] };

export const DEFAULT_DATASOURCE = "clerk_events";

// Tinybird's rule for resource names.
const DATASOURCE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function loadConfig(
  env: Record<string, string | undefined>,
  { needsSecretId = true }: { needsSecretId?: boolean } = {},
): ConfigResult {
  const problems: string[] = [];
  const value = (name: string) => {
    const raw = env[name]?.trim();
    return raw === "" ? undefined : raw;
  };

  const secretId = value("SECRET_ID");
  if (needsSecretId && !secretId) {
    problems.push("SECRET_ID is not set: give the ARN or name of the Secrets Manager secret");
  }

  const host = value("TINYBIRD_HOST");
  let tinybirdHost = "";
  if (!host) {
    problems.push("TINYBIRD_HOST is not set: give the workspace's API host, e.g. https://api.tinybird.co");
  } else {
    const checked = checkApiHost(host);
    if (checked.ok) tinybirdHost = checked.url.origin;
    else problems.push(`TINYBIRD_HOST: ${checked.problem}; e.g. https://api.tinybird.co`);
  }

  const dataSource = value("TINYBIRD_DATASOURCE") ?? DEFAULT_DATASOURCE;
  if (!DATASOURCE_NAME.test(dataSource)) {
    problems.push(`TINYBIRD_DATASOURCE "${dataSource}" is not a Tinybird data source name`);
  }

  const redactPaths = (value("REDACT_PATHS") ?? "")
    .split(",")
    .map((path) => path.trim())
    .filter((path) => path !== "");
  for (const path of redactPaths) {
    try {
      parsePath(path);
    } catch (error) {
      problems.push(`REDACT_PATHS: ${(error as Error).message}`);
    }
  }

  const flag = (name: string, fallback: boolean): boolean => {
    const text = value(name)?.toLowerCase() ?? String(fallback);
    if (text !== "true" && text !== "false") problems.push(`${name} is "${text}": use true or false`);
    return text === "true";
  };
  const pseudonymize = flag("PSEUDONYMIZE_PERSONAL_DATA", false);
  const redactPrivateMetadata = flag("REDACT_PRIVATE_METADATA", true);

  const sources = parseSourceList(value("ALLOWED_SOURCE_IPS") ?? "");
  if (!sources.ok) {
    for (const problem of sources.problems) problems.push(`ALLOWED_SOURCE_IPS: ${problem}`);
  }

  if (problems.length > 0 || !sources.ok) return { ok: false, problems };
  return {
    ok: true,
    config: {
      secretId,
      tinybirdHost,
      dataSource,
      redactPaths,
      pseudonymize,
      redactPrivateMetadata,
      allowSource: sources.check,
    },
  };
}
