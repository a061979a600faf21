/**
 * A complete local pipeline in a temporary folder (store, forwarder, dashboard on free ports), for
 * tests, the screenshot script and the bench; removed by `close`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CommandError } from "../command-kit/command-shell";
import { buildDashboard } from "../dashboard-app/assets";
import type { SyncReport } from "../tinybird-model/chdb-project";
import { loadProject } from "../tinybird-model/project";
import type { DamagedPart, DamagedPartsChoice } from "./damaged-parts";
import { localStoreToken } from "./data-folder";
import { type LocalServer, startLocalServer } from "./server";
import { LocalStore } from "./store";

export interface Sandbox extends LocalServer {
  store: LocalStore;
  dataDir: string;
  signingSecret: string;
  storeToken: string;
  /** What opening the store rebuilt, and the damaged parts it set aside. */
  report: SyncReport;
  damaged: DamagedPart[];
}

export interface SandboxOptions {
  /** Defaults to a new temporary folder, removed on close. */
  dataDir?: string;
  /** The folder holding `tinybird/` (the repository by default). */
  projectRoot?: string;
  now?: () => Date;
  signingSecret?: string;
  damagedParts?: DamagedPartsChoice;
  /** How long the first append of a group waits for others (the store's default otherwise). */
  groupWindowMs?: number;
  /** How long stored rows wait for the rollups (the store's default otherwise). */
  catchUpDelayMs?: number;
  log?: (line: string) => void;
  /** What the store warns about while running (the rollups not following the stored events). */
  warn?: (line: string) => void;
}

export const REPOSITORY_ROOT = resolve(__dirname, "..");
// One bundle per process: a test starting several sandboxes builds the page once.
let dashboard: ReturnType<typeof buildDashboard> | undefined;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "clerk-tinybird-local-"));
  const project = loadProject(options.projectRoot ?? REPOSITORY_ROOT);
  const opened = await LocalStore.open({
    dataDir,
    project,
    ...(options.now ? { now: options.now } : {}),
    ...(options.damagedParts ? { damagedParts: options.damagedParts } : {}),
    ...(options.groupWindowMs !== undefined ? { groupWindowMs: options.groupWindowMs } : {}),
    ...(options.catchUpDelayMs !== undefined ? { catchUpDelayMs: options.catchUpDelayMs } : {}),
    ...(options.warn ? { warn: options.warn } : {}),
  });
  if (!opened.ok) throw new CommandError(opened.problem);
  const signingSecret = options.signingSecret ?? "whsec_c2FuZGJveC1zaWduaW5nLXNlY3JldC0wMDAx";
  const storeToken = localStoreToken(dataDir);
  dashboard ??= buildDashboard();
  const server = await startLocalServer({
    store: opened.store,
    storeToken,
    signingSecret,
    dashboard: await dashboard,
    dataSource: project.dataSource.definition.name,
    log: options.log ?? (() => {}),
  });
  return {
    ...server,
    store: opened.store,
    dataDir,
    signingSecret,
    storeToken,
    report: opened.report,
    damaged: opened.damaged,
    close: async () => {
      await server.close();
      await opened.store.close();
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
