/**
 * The provisioning command's inputs, all from its environment (the component sets them; the admin
 * token never appears in the command line), and the result it prints.
 */

import { CommandError, parseResultLine, requireEnv } from "../../../command-kit/command-shell";
import { checkApiHost } from "../../../lambda/api-host";

/**
 * The one JSON line the command prints. `appendToken`/`readToken` are secrets (Pulumi keeps stdout
 * secret). `kind` is always "forward" now; a stack first deployed by an older release on a Classic
 * workspace holds "classic" in its state until its next `pulumi up`.
 */
export interface ProvisionResult {
  kind: "classic" | "forward";
  dataSource: string;
  appendToken: string;
  /** Empty when the project has no pipes yet. */
  readToken: string;
  /** What destroy needs: the tokens' names and the pipes this stack deployed. */
  appendTokenName: string;
  readTokenName: string;
  pipes: string[];
  /** The materialized pipes and their rollup data sources, when the project has any. */
  materializations?: string[];
  rollups?: string[];
}

export interface TinybirdConfig {
  host: string;
  adminToken: string;
  /** Undefined: the datafile's own name. */
  dataSourceName?: string;
  deleteDataOnDestroy: boolean;
  allowDestructiveOperations: boolean;
  /** How long one run waits for a deployment before leaving it to Tinybird (the next run resumes). */
  deploymentWaitMs: number;
  /** The last create/update's result (`PULUMI_COMMAND_STDOUT`), when there was one. */
  previous?: ProvisionResult;
  /** The folder holding `tinybird/`, when it is not the working directory (the project root). */
  projectDir?: string;
}

function flag(env: NodeJS.ProcessEnv, name: string, setting: string): boolean {
  const value = (env[name] ?? "").trim().toLowerCase();
  if (value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new CommandError(`${name} must be true or false, got "${env[name]}" (stack config ${setting})`);
}

function host(env: NodeJS.ProcessEnv): string {
  const value = requireEnv(
    "TINYBIRD_HOST",
    "set the workspace's API host: pulumi config set tinybirdHost <host>",
    env,
  );
  // https, or http to this machine only (Tinybird Local): the admin token travels with every call.
  const checked = checkApiHost(value, { allowPath: true });
  if (!checked.ok) {
    throw new CommandError(
      `TINYBIRD_HOST: ${checked.problem}; use e.g. https://api.tinybird.co (tinybirdHost)`,
    );
  }
  const { url } = checked;
  if (/^(app|ui)\./.test(url.hostname)) {
    throw new CommandError(
      `TINYBIRD_HOST "${value}" is Tinybird's web UI: use the API host of the workspace's region, e.g. https://api.tinybird.co (tinybirdHost)`,
    );
  }
  return url.origin + url.pathname.replace(/\/+$/, "");
}

const text = (value: unknown) => (typeof value === "string" ? value : "");
const names = (value: unknown) =>
  Array.isArray(value) ? value.filter((p): p is string => typeof p === "string") : [];

/**
 * The result a run printed (runtime's parseResultLine), for the next run (`PULUMI_COMMAND_STDOUT`)
 * and for the component's outputs; anything that is not a Tinybird result is undefined.
 */
export function readProvisionResult(stdout: string | undefined): ProvisionResult | undefined {
  const value = parseResultLine(stdout);
  if (
    !value ||
    (value.kind !== "classic" && value.kind !== "forward") ||
    typeof value.dataSource !== "string"
  ) {
    return undefined;
  }
  return {
    kind: value.kind,
    dataSource: value.dataSource,
    appendToken: text(value.appendToken),
    readToken: text(value.readToken),
    appendTokenName: text(value.appendTokenName),
    readTokenName: text(value.readTokenName),
    pipes: names(value.pipes),
    ...(names(value.materializations).length > 0 ? { materializations: names(value.materializations) } : {}),
    ...(names(value.rollups).length > 0 ? { rollups: names(value.rollups) } : {}),
  };
}

/** The stack's default (Pulumi.yaml), for a command run by hand without the setting. */
export const DEFAULT_DEPLOYMENT_WAIT_MINUTES = 120;

function waitMinutes(env: NodeJS.ProcessEnv): number {
  const raw = (env.TINYBIRD_DEPLOYMENT_WAIT_MINUTES ?? "").trim();
  if (raw === "") return DEFAULT_DEPLOYMENT_WAIT_MINUTES;
  const minutes = Number(raw);
  if (!Number.isInteger(minutes) || minutes < 1) {
    throw new CommandError(
      `TINYBIRD_DEPLOYMENT_WAIT_MINUTES must be a whole number of minutes, at least 1, got "${raw}" (stack config tinybirdDeploymentWaitMinutes)`,
    );
  }
  return minutes;
}

export function readConfig(env: NodeJS.ProcessEnv): TinybirdConfig {
  // Unreadable counts as no previous run: destroy then derives the names.
  const previous = readProvisionResult(env.PULUMI_COMMAND_STDOUT);
  const projectDir = env.TINYBIRD_PROJECT_DIR?.trim();
  return {
    host: host(env),
    adminToken: requireEnv(
      "TINYBIRD_ADMIN_TOKEN",
      "set the workspace admin token: pulumi config set --secret tinybirdAdminToken <token>",
      env,
    ).trim(),
    dataSourceName: env.TINYBIRD_DATASOURCE?.trim() || undefined,
    deleteDataOnDestroy: flag(env, "TINYBIRD_DELETE_DATA_ON_DESTROY", "tinybirdDeleteDataOnDestroy"),
    allowDestructiveOperations: flag(env, "TINYBIRD_ALLOW_DESTRUCTIVE", "tinybirdAllowDestructiveOperations"),
    deploymentWaitMs: waitMinutes(env) * 60_000,
    ...(previous ? { previous } : {}),
    ...(projectDir ? { projectDir } : {}),
  };
}
