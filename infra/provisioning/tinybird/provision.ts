/**
 * The Tinybird provisioning operations the stack's `local.Command` runs: create and update converge
 * the workspace on the datafiles and return the tokens; delete revokes the tokens and removes the
 * data only when asked.
 */
import { ProvisioningError, sleep } from "../../../command-kit/command-shell";
import { loadProject } from "../../../tinybird-model/project";
import { classicTokenNames, destroyClassic, provisionClassic } from "./classic";
import { type ProvisionResult, readConfig, type TinybirdConfig } from "./config";
import { detectKind } from "./detect";
import { saysForwardOnly } from "./diagnosis";
import { destroyForward, type ForwardOptions, provisionForward } from "./forward";
import { TinybirdApi, TinybirdHttpError } from "./tinybird-api";

export interface ProvisionDeps {
  fetch?: typeof fetch;
  /** Waits between retries and deployment polls (tests pass one that returns at once). */
  sleep?: (ms: number) => Promise<void>;
  /** The project root holding `tinybird/` (default: the working directory). */
  root?: string;
  pollIntervalMs?: number;
}

const OPERATIONS = ["create", "update", "delete"] as const;

async function provision(
  api: TinybirdApi,
  config: TinybirdConfig,
  root: string,
  forward: ForwardOptions,
): Promise<ProvisionResult> {
  const project = loadProject(root, { dataSourceName: config.dataSourceName });
  const detected = await detectKind(api, config.workspaceKind);
  if (detected.kind === "forward") {
    return provisionForward(api, project, forward, config.previous, detected.deployments);
  }
  try {
    return await provisionClassic(api, project, config.previous, forward);
  } catch (error) {
    const forwardOnly =
      error instanceof TinybirdHttpError && error.status === 403 && saysForwardOnly(error.detail);
    if (config.workspaceKind !== "auto" || !forwardOnly) throw error;
    return provisionForward(api, project, forward, config.previous);
  }
}

async function destroy(
  api: TinybirdApi,
  config: TinybirdConfig,
  root: string,
  forward: ForwardOptions,
): Promise<void> {
  const { previous } = config;
  const kind = previous?.kind ?? (await detectKind(api, config.workspaceKind)).kind;
  const dataSourceName = previous?.dataSource ?? config.dataSourceName;
  if (kind === "forward") {
    const project = loadProject(root, { dataSourceName });
    await destroyForward(api, project, config.deleteDataOnDestroy, forward, previous);
    return;
  }
  if (previous) {
    await destroyClassic(api, previous, config.deleteDataOnDestroy);
    return;
  }
  // No record of a previous run (state imported or edited): derive what this stack would have made.
  const project = loadProject(root, { dataSourceName });
  const names = classicTokenNames(project.dataSource.definition.name);
  await destroyClassic(
    api,
    {
      dataSource: project.dataSource.definition.name,
      appendTokenName: names.append,
      readTokenName: names.read,
      pipes: project.pipes.map((p) => p.definition.name),
      materializations: project.materializations.map((m) => m.definition.name),
      rollups: project.rollups.map((r) => r.definition.name),
    },
    config.deleteDataOnDestroy,
  );
}

/** Runs `create`, `update` or `delete` with inputs from `env`; create/update return the result line. */
export async function runOperation(
  operation: string,
  env: NodeJS.ProcessEnv,
  deps: ProvisionDeps = {},
): Promise<ProvisionResult | undefined> {
  if (!(OPERATIONS as readonly string[]).includes(operation)) {
    throw new ProvisioningError(
      `usage: node --import tsx infra/provisioning/tinybird/cli.ts create|update|delete (got "${operation}")`,
    );
  }
  const config = readConfig(env);
  const wait = deps.sleep ?? sleep;
  const api = new TinybirdApi({
    host: config.host,
    token: config.adminToken,
    fetch: deps.fetch,
    sleep: wait,
  });
  const root = deps.root ?? config.projectDir ?? process.cwd();
  const forward: ForwardOptions = {
    allowDestructiveOperations: config.allowDestructiveOperations,
    sleep: wait,
    ...(deps.pollIntervalMs !== undefined ? { pollIntervalMs: deps.pollIntervalMs } : {}),
  };
  if (operation === "delete") {
    await destroy(api, config, root, forward);
    return undefined;
  }
  return provision(api, config, root, forward);
}
