/**
 * The Tinybird provisioning operations the stack's `local.Command` runs on a Tinybird Forward
 * workspace: create and update converge the workspace on the datafiles and return the tokens;
 * delete revokes the tokens and removes the data only when asked.
 */
import { CommandError, scrubSecrets, sleep } from "../../../command-kit/command-shell";
import { loadProject } from "../../../tinybird-model/project";
import { type ProvisionResult, readConfig } from "./config";
import type { DeployOptions } from "./deployments";
import { destroyForward, provisionForward } from "./forward";
import { TinybirdApi } from "./tinybird-api";
import { requireForward } from "./workspace";

export interface ProvisionDeps {
  fetch?: typeof fetch;
  /** Waits between retries and deployment polls (tests pass one that returns at once). */
  sleep?: (ms: number) => Promise<void>;
  /** The clock the deployment wait is measured with (tests pass one that `sleep` advances). */
  now?: () => number;
  /** The project root holding `tinybird/` (default: the working directory). */
  root?: string;
  /** Between two looks at a deployment (default 5 s, as Tinybird's CLI). */
  pollIntervalMs?: number;
  /** Progress lines for the person running `pulumi up` (default: stderr, which `pulumi up` shows). */
  progress?: (line: string) => void;
}

const OPERATIONS = ["create", "update", "delete"] as const;
const POLL_INTERVAL_MS = 5_000;

const toStderr = (line: string) => {
  process.stderr.write(`${line}\n`);
};

/** Runs `create`, `update` or `delete` with inputs from `env`; create/update return the result line. */
export async function runOperation(
  operation: string,
  env: NodeJS.ProcessEnv,
  deps: ProvisionDeps = {},
): Promise<ProvisionResult | undefined> {
  if (!(OPERATIONS as readonly string[]).includes(operation)) {
    throw new CommandError(
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
  const options: DeployOptions = {
    allowDestructiveOperations: config.allowDestructiveOperations,
    waitMs: config.deploymentWaitMs,
    pollIntervalMs: deps.pollIntervalMs ?? POLL_INTERVAL_MS,
    sleep: wait,
    now: deps.now ?? Date.now,
    // Tinybird's own words are quoted in progress lines: nothing shaped like a token gets through.
    progress: (line) => (deps.progress ?? toStderr)(scrubSecrets(line, [config.adminToken])),
  };
  await requireForward(api);
  const { previous } = config;
  if (operation === "delete") {
    // The data source this stack deployed, also when the setting changed since (a rename replaces).
    const project = loadProject(root, { dataSourceName: previous?.dataSource ?? config.dataSourceName });
    await destroyForward(api, project, config.deleteDataOnDestroy, options, previous);
    return undefined;
  }
  const project = loadProject(root, { dataSourceName: config.dataSourceName });
  return provisionForward(api, project, options, previous);
}
