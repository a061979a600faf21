/**
 * The provisioning command's inputs, all from its environment (the component sets them; the admin
 * token never appears in the command line), and the result it prints.
 */

import {
  flag,
  optionalText,
  readEnvironment,
  requiredText,
  variable,
  type WrittenOf,
} from "../../../command-kit/command-environment";
import { CommandError, parseResultLine } from "../../../command-kit/command-shell";
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

/** The workspace's API host: https, or http to this machine only (Tinybird Local), never its web UI. */
function readHost(value: string, name: string): string {
  // The admin token travels with every call.
  const checked = checkApiHost(value, { allowPath: true });
  if (!checked.ok) {
    throw new CommandError(`${name}: ${checked.problem}; use e.g. https://api.tinybird.co (tinybirdHost)`);
  }
  const { url } = checked;
  if (/^(app|ui)\./.test(url.hostname)) {
    throw new CommandError(
      `${name} "${value}" is Tinybird's web UI: use the API host of the workspace's region, e.g. https://api.tinybird.co (tinybirdHost)`,
    );
  }
  return url.origin + url.pathname.replace(/\/+$/, "");
}

/** The stack's default (Pulumi.yaml), for a command run by hand without the setting. */
export const DEFAULT_DEPLOYMENT_WAIT_MINUTES = 120;

/**
 * The command's environment, written once: the TinybirdProject component writes every variable
 * (infra/components/tinybird-project.ts), `readConfig` reads them back; test/tinybird/component.test.ts
 * feeds the one through the other. Credentials only here: the command line is printed in full when
 * the command fails.
 */
export const TINYBIRD_COMMAND_ENVIRONMENT = {
  host: variable<string, string>({
    name: "TINYBIRD_HOST",
    write: (host) => host,
    read: (text, name) =>
      readHost(
        requiredText(name, "set the workspace's API host: pulumi config set tinybirdHost <host>").read(
          text,
          name,
        ),
        name,
      ),
  }),
  adminToken: requiredText(
    "TINYBIRD_ADMIN_TOKEN",
    "set the workspace admin token: pulumi config set --secret tinybirdAdminToken <token>",
  ),
  /** Unset: the datafile's own name. */
  dataSourceName: optionalText("TINYBIRD_DATASOURCE"),
  deleteDataOnDestroy: flag("TINYBIRD_DELETE_DATA_ON_DESTROY", "tinybirdDeleteDataOnDestroy"),
  allowDestructiveOperations: flag("TINYBIRD_ALLOW_DESTRUCTIVE", "tinybirdAllowDestructiveOperations"),
  deploymentWaitMinutes: variable<number, number>({
    name: "TINYBIRD_DEPLOYMENT_WAIT_MINUTES",
    write: String,
    read: (text, name) => {
      if (text === undefined) return DEFAULT_DEPLOYMENT_WAIT_MINUTES;
      const minutes = Number(text);
      if (!Number.isInteger(minutes) || minutes < 1) {
        throw new CommandError(
          `${name} must be a whole number of minutes, at least 1, got "${text}" (stack config tinybirdDeploymentWaitMinutes)`,
        );
      }
      return minutes;
    },
  }),
  /**
   * The datafiles' hash, which the command does not read: an edited datafile changes the command's
   * environment, so `pulumi up` runs its update (one deployment, the rows kept) rather than nothing.
   */
  datafilesSha256: optionalText("TINYBIRD_DATAFILES_SHA256"),
  /** The folder holding `tinybird/`, when it is not the working directory (the project root). */
  projectDir: optionalText("TINYBIRD_PROJECT_DIR"),
};

/** What the component gives the command: a value per variable (undefined: not set). */
export type TinybirdCommandSettings = {
  [K in keyof typeof TINYBIRD_COMMAND_ENVIRONMENT]: WrittenOf<(typeof TINYBIRD_COMMAND_ENVIRONMENT)[K]>;
};

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
  const read = readEnvironment(TINYBIRD_COMMAND_ENVIRONMENT, env);
  // Unreadable counts as no previous run: destroy then derives the names.
  const previous = readProvisionResult(env.PULUMI_COMMAND_STDOUT);
  return {
    host: read.host,
    adminToken: read.adminToken,
    dataSourceName: read.dataSourceName,
    deleteDataOnDestroy: read.deleteDataOnDestroy,
    allowDestructiveOperations: read.allowDestructiveOperations,
    deploymentWaitMs: read.deploymentWaitMinutes * 60_000,
    ...(previous ? { previous } : {}),
    ...(read.projectDir ? { projectDir: read.projectDir } : {}),
  };
}
