/**
 * The reconciliation's outside world for tests: the Clerk and Svix stand-ins (the real `@clerk/backend`
 * and `svix` clients talk to them through Clerk's login link), the local store serving the real
 * `delivered_events` pipe on chDB behind a stand-in that checks the read token, a virtual clock, and
 * the CLI. One world per test file (chDB takes one session per process); each test works in a window
 * of its own.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadLocalProject } from "../../local/datafiles";
import { LocalStore } from "../../local/store";
import { type CliDeps, reconcileCommand } from "../../operations/reconcile/cli";
import { VirtualClock } from "../support/clerk-directory";
import {
  CLERK_KEY,
  type ClerkSvixFake,
  deployedEndpoint,
  type FakeEndpoint,
  startClerkSvixFake,
} from "../support/clerk-svix-fake";
import { type StubServer, startStub } from "../support/http-stub";
import type { AttemptStatus, FakeMessage } from "../support/svix-message-log";
import { type Run as CliRun, runCli } from "./run-cli";

export const READ_TOKEN = "p.reconcile-read-token-for-tests";
export const NOW = Date.UTC(2026, 0, 20, 12);
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const ENDPOINT: FakeEndpoint = deployedEndpoint({
  id: "ep_reconcile",
  createdAt: "2025-06-01T00:00:00Z",
});

/** What became of one message: Svix's status on the endpoint (none: never attempted) and whether it was stored. */
export type Fate = "stored" | "failed" | "neverAttempted" | "lost" | "canceled" | "pending";
const FATES: Record<Fate, { status?: AttemptStatus; stored: boolean }> = {
  stored: { status: 0, stored: true },
  failed: { status: 2, stored: false },
  neverAttempted: { stored: false },
  lost: { status: 0, stored: false },
  canceled: { status: 4, stored: false },
  pending: { status: 3, stored: false },
};

export interface Run extends CliRun {
  /** The last stdout line, parsed. */
  result: Record<string, any>;
}

export interface ReconcileWorld {
  clock: VirtualClock;
  fake: ClerkSvixFake;
  tinybird: StubServer;
  env: NodeJS.ProcessEnv;
  /** Messages of `type` from `start`, one every `everyMs`, each meeting `fate` on the endpoint. */
  send(fate: Fate, count: number, start: number, everyMs?: number, type?: string): FakeMessage[];
  /** Plays Svix's workers: every queued message is delivered and the forwarder stores it. */
  deliverQueued(): FakeMessage[];
  run(argv: string[], options?: { env?: NodeJS.ProcessEnv; tty?: boolean; deps?: CliDeps }): Promise<Run>;
  close(): Promise<void>;
}

export async function startReconcileWorld(): Promise<ReconcileWorld> {
  const clock = new VirtualClock(NOW);
  const fake = await startClerkSvixFake({ appExists: true, now: clock.now });
  fake.endpoints.set(ENDPOINT.id, { ...ENDPOINT });
  const dataDir = mkdtempSync(join(tmpdir(), "clerk-tinybird-reconcile-"));
  const opened = LocalStore.open({
    dataDir,
    project: loadLocalProject(resolve(__dirname, "../../tinybird")),
  });
  if (!opened.ok) throw new Error(opened.problem);
  const store = opened.store;
  // Tinybird's Pipes API on the local store, for the read token only, never in the URL.
  const tinybird = await startStub((req) => {
    if (req.headers.authorization !== `Bearer ${READ_TOKEN}` || req.query.has("token")) {
      return { status: 403, body: { error: "Invalid token" } };
    }
    const pipe = /^\/v0\/pipes\/([A-Za-z_]+)\.json$/.exec(req.path);
    if (req.method !== "GET" || !pipe) return { status: 404, body: { error: "not found" } };
    return store.callEndpoint(pipe[1]!, Object.fromEntries(req.query));
  });
  const storeRows = (messages: FakeMessage[]) => {
    if (messages.length === 0) return;
    // As the forwarder writes them: Clerk's time a moment before Svix's, event_id the svix-id.
    const lines = messages.map((m) =>
      JSON.stringify({
        type: m.eventType,
        object: "event",
        timestamp: m.timestamp - 40,
        data: { id: `user_${m.id.slice(-8)}` },
        event_id: m.id,
        received_at: m.timestamp + 900,
      }),
    );
    const answer = store.append("clerk_events", lines.join("\n"));
    if (answer.status !== 200 || answer.body.quarantined_rows !== 0) {
      throw new Error(`the store refused rows: ${JSON.stringify(answer.body)}`);
    }
  };
  const env: NodeJS.ProcessEnv = {
    CLERK_SECRET_KEY: CLERK_KEY,
    CLERK_API_URL: fake.clerk.url,
    SVIX_SERVER_URL: fake.svix.url,
    CLERK_ENDPOINT_ID: ENDPOINT.id,
    TINYBIRD_HOST: tinybird.url,
    TINYBIRD_TOKEN: READ_TOKEN,
  };
  return {
    clock,
    fake,
    tinybird,
    env,
    send(fate, count, start, everyMs = 60_000, type = "user.created") {
      const { status, stored } = FATES[fate];
      const sent = Array.from({ length: count }, (_, i) =>
        fake.log.add(
          type,
          start + i * everyMs,
          status === undefined ? undefined : { endpoint: ENDPOINT.id, status },
        ),
      );
      // A message sent twice by Svix (a retry after a lost answer) is stored twice: readers count it once.
      if (stored) storeRows([...sent, ...sent.slice(0, Math.ceil(count / 10))]);
      return sent;
    },
    deliverQueued() {
      const delivered = fake.log.settle(ENDPOINT.id);
      storeRows(delivered);
      return delivered;
    },
    async run(argv, options = {}) {
      const run = await runCli(
        reconcileCommand({ clock, attempts: 4, ...options.deps }),
        argv,
        options.env ?? env,
        {
          tty: options.tty ?? false,
        },
      );
      return { ...run, result: JSON.parse(run.stdout.at(-1) ?? "null") };
    },
    close: async () => {
      await Promise.all([fake.close(), tinybird.close()]);
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
