/**
 * A complete local pipeline in a temporary folder (store, forwarder, dashboard on a free port), for
 * tests and the screenshot script; removed by `close`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildDashboard } from "../dashboard/assets";
import { loadLocalProject } from "./datafiles";
import { type LocalServer, startLocalServer } from "./server";
import { LocalStore } from "./store";

export interface Sandbox extends LocalServer {
  store: LocalStore;
  dataDir: string;
  signingSecret: string;
}

export interface SandboxOptions {
  /** Defaults to a new temporary folder, removed on close. */
  dataDir?: string;
  tinybirdDir?: string;
  now?: () => Date;
  signingSecret?: string;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "clerk-tinybird-local-"));
  const opened = LocalStore.open({
    dataDir,
    project: loadLocalProject(options.tinybirdDir ?? resolve(__dirname, "..", "tinybird")),
    ...(options.now ? { now: options.now } : {}),
  });
  if (!opened.ok) throw new Error(opened.problem);
  const signingSecret = options.signingSecret ?? "whsec_c2FuZGJveC1zaWduaW5nLXNlY3JldC0wMDAx";
  const server = await startLocalServer({
    store: opened.store,
    signingSecret,
    dashboard: await buildDashboard(),
    log: () => {},
  });
  return {
    ...server,
    store: opened.store,
    dataDir,
    signingSecret,
    close: async () => {
      await server.close();
      opened.store.close();
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
