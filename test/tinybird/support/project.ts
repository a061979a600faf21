/** Throwaway project folders with the real data source and small pipes, for provisioning runs. */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, expect } from "vitest";
import { runOperation } from "../../../infra/provisioning/tinybird/provision";
import type { RecordedRequest } from "../../support/http-stub";
import { ADMIN_TOKEN, type FakeOptions, type FakeTinybird, startFakeTinybird } from "./fake-tinybird";

export const REPO_ROOT = resolve(__dirname, "../../..");

export const PIPES = {
  "signups.pipe": [
    "DESCRIPTION >",
    "    Sign-ups per day",
    "",
    'TOKEN "clerk_read" READ',
    "",
    "NODE daily",
    "SQL >",
    "    %",
    "    SELECT toDate(event_time) AS day, count() AS signups",
    "    FROM clerk_events",
    "    WHERE event_type = 'user.created' AND event_time >= {{ DateTime(start, '2024-01-01 00:00:00') }}",
    "    GROUP BY day",
    "",
    "TYPE endpoint",
    "",
  ].join("\n"),
  "active_users.pipe": [
    'TOKEN "clerk_read" READ',
    "",
    "NODE sessions",
    "SQL >",
    "    SELECT user_id, event_time FROM clerk_events WHERE event_type = 'session.created'",
    "",
    "NODE dau",
    "SQL >",
    "    SELECT toDate(event_time) AS day, uniqExact(user_id) AS dau FROM sessions GROUP BY day",
    "",
    "TYPE endpoint",
    "",
  ].join("\n"),
};

/**
 * A project root holding the committed landing data source and `pipes` (default: two pipes); with
 * `materializations`, the committed rollups and materialized pipes too.
 */
export function makeProject(
  pipes: Record<string, string> = PIPES,
  options: { materializations?: boolean } = {},
): string {
  const root = mkdtempSync(join(tmpdir(), "tb-provision-"));
  mkdirSync(join(root, "tinybird/endpoints"), { recursive: true });
  if (options.materializations) {
    cpSync(join(REPO_ROOT, "tinybird/datasources"), join(root, "tinybird/datasources"), { recursive: true });
    cpSync(join(REPO_ROOT, "tinybird/materializations"), join(root, "tinybird/materializations"), {
      recursive: true,
    });
  } else {
    mkdirSync(join(root, "tinybird/datasources"), { recursive: true });
    cpSync(
      join(REPO_ROOT, "tinybird/datasources/clerk_events.datasource"),
      join(root, "tinybird/datasources/clerk_events.datasource"),
    );
  }
  for (const [name, text] of Object.entries(pipes))
    writeFileSync(join(root, "tinybird/endpoints", name), text);
  return root;
}

export function removeProject(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/** The command's environment, as the component sets it. */
export function envFor(fake: FakeTinybird, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { TINYBIRD_HOST: fake.url, TINYBIRD_ADMIN_TOKEN: ADMIN_TOKEN, ...extra };
}

/** Every request carried the admin token in its header, and none in its URL. */
export function expectTokenOnlyInHeaders(requests: RecordedRequest[]): void {
  expect(requests.length).toBeGreaterThan(0);
  for (const r of requests) {
    expect(r.headers.authorization).toBe(`Bearer ${ADMIN_TOKEN}`);
    expect(`${r.path}?${r.query}`).not.toContain("p.");
  }
}

/**
 * A clock whose sleep returns at once, remembers what it was asked to wait, and moves the clock's
 * time on by it: a deployment's wait budget runs out after the polls it would really take.
 */
export function recordingSleep(): {
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  waits: number[];
  reset(): void;
} {
  const waits: number[] = [];
  let t = 0;
  return {
    waits,
    now: () => t,
    sleep: async (ms) => {
      waits.push(ms);
      t += ms;
    },
    reset() {
      waits.length = 0;
      t = 0;
    },
  };
}

/**
 * A fresh fake Forward workspace and project for every test of the calling file, and `run` to
 * execute an operation against them in-process (sleeps recorded, not waited; progress lines kept).
 */
export function useFakeWorkspace(options: { pollIntervalMs?: number; fake?: () => FakeOptions } = {}) {
  const ws = {
    fake: undefined as unknown as FakeTinybird,
    root: "",
    clock: recordingSleep(),
    progress: [] as string[],
    /** Swaps in another workspace for the current test. */
    async use(fakeOptions: FakeOptions) {
      await ws.fake.close();
      ws.fake = await startFakeTinybird(fakeOptions);
    },
    run: (operation: string, extra: Record<string, string> = {}) =>
      runOperation(operation, envFor(ws.fake, extra), {
        root: ws.root,
        sleep: ws.clock.sleep,
        now: ws.clock.now,
        progress: (line) => ws.progress.push(line),
        ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
      }),
    /** Runs again with the previous result as PULUMI_COMMAND_STDOUT, as Pulumi does. */
    rerun: (previous: unknown, operation = "update", extra: Record<string, string> = {}) =>
      ws.run(operation, { PULUMI_COMMAND_STDOUT: JSON.stringify(previous), ...extra }),
  };
  beforeEach(async () => {
    ws.fake = await startFakeTinybird(options.fake?.() ?? {});
    ws.root = makeProject();
    ws.clock.reset();
    ws.progress.length = 0;
  });
  afterEach(async () => {
    await ws.fake.close();
    removeProject(ws.root);
  });
  return ws;
}
