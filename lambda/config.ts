/** The forwarder's settings, read once from the environment, with errors that name the variable. */
import { parsePath } from "./redaction/paths";

export interface ForwarderConfig {
  /** Secrets Manager secret (ARN or name); absent only where secrets come from elsewhere (npm run dev). */
  secretId?: string;
  /** Tinybird API base URL, no trailing slash. */
  tinybirdHost: string;
  dataSource: string;
  /** Extra dot paths the redactor blanks, on top of its defaults. */
  redactPaths: string[];
  pseudonymize: boolean;
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
  } else if (!isHttpUrl(host)) {
    problems.push(`TINYBIRD_HOST "${host}" is not an http(s) URL: e.g. https://api.tinybird.co`);
  } else {
    tinybirdHost = host.replace(/\/+$/, "");
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

  const flag = value("PSEUDONYMIZE_PERSONAL_DATA")?.toLowerCase() ?? "false";
  if (flag !== "true" && flag !== "false") {
    problems.push(`PSEUDONYMIZE_PERSONAL_DATA is "${flag}": use true or false`);
  }

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: { secretId, tinybirdHost, dataSource, redactPaths, pseudonymize: flag === "true" },
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}
