/**
 * The provisioning command's inputs, all from its environment (the component sets them; the admin
 * token never appears in the command line), and the result it prints.
 */

import { ProvisioningError, parseResultLine, requireEnv } from "../../../command-kit/command-shell";
import { checkApiHost } from "../../../lambda/api-host";

export type WorkspaceKind = "classic" | "forward";

/** The one JSON line the command prints. `appendToken`/`readToken` are secrets (Pulumi keeps stdout secret). */
export interface ProvisionResult {
  kind: WorkspaceKind;
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
  workspaceKind: "auto" | WorkspaceKind;
  deleteDataOnDestroy: boolean;
  allowDestructiveOperations: boolean;
  /** The last create/update's result (`PULUMI_COMMAND_STDOUT`), when there was one. */
  previous?: ProvisionResult;
  /** The folder holding `tinybird/`, when it is not the working directory (the project root). */
  projectDir?: string;
}

function flag(env: NodeJS.ProcessEnv, name: string, setting: string): boolean {
  const value = (env[name] ?? "").trim().toLowerCase();
  if (value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new ProvisioningError(`${name} must be true or false, got "${env[name]}" (stack config ${setting})`);
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
    throw new ProvisioningError(
      `TINYBIRD_HOST: ${checked.problem}; use e.g. https://api.tinybird.co (tinybirdHost)`,
    );
  }
  const { url } = checked;
  if (/^(app|ui)\./.test(url.hostname)) {
    throw new ProvisioningError(
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

export function readConfig(env: NodeJS.ProcessEnv): TinybirdConfig {
  const kind = (env.TINYBIRD_WORKSPACE_KIND ?? "").trim().toLowerCase() || "auto";
  if (kind !== "auto" && kind !== "classic" && kind !== "forward") {
    throw new ProvisioningError(
      `TINYBIRD_WORKSPACE_KIND must be auto, classic or forward, got "${env.TINYBIRD_WORKSPACE_KIND}" (tinybirdWorkspaceKind)`,
    );
  }
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
    workspaceKind: kind,
    deleteDataOnDestroy: flag(env, "TINYBIRD_DELETE_DATA_ON_DESTROY", "tinybirdDeleteDataOnDestroy"),
    allowDestructiveOperations: flag(env, "TINYBIRD_ALLOW_DESTRUCTIVE", "tinybirdAllowDestructiveOperations"),
    ...(previous ? { previous } : {}),
    ...(projectDir ? { projectDir } : {}),
  };
}
