/**
 * The whole local pipeline through HTTP only: Svix-signed deliveries to the forwarder (duplicates and
 * out of order included) -> the local store -> the endpoints, against the oracle's figures for the
 * same events; then, as `npm start` does while running, a change to the datafiles (a new typed
 * column in the landing data source, a rollup's view rewritten) applied to the store holding those
 * events, after which the endpoints answer the same figures.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "svix";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPOSITORY_ROOT, type Sandbox, startSandbox } from "../../local/sandbox";
import { watchDatafiles } from "../../local/start";
import { generateHistory, type StoredEvent } from "../../local/synthetic-history";
import * as oracle from "../analytics/oracle";

// Each delivery here is one HTTP request and one INSERT firing every materialized view: a small history
// (deletions, organizations, revoked sessions), billing off (its figures: test/analytics/billing.test.ts).
const history = generateHistory({ users: 22, seed: 14, billingShare: 0 });
// A copy of the repository's datafiles, to edit.
const root = mkdtempSync(join(tmpdir(), "local-pipeline-"));
cpSync(join(REPOSITORY_ROOT, "tinybird"), join(root, "tinybird"), { recursive: true });
let sandbox: Sandbox;

/** Every event once, about one in eight twice or three times (Svix retries), in a shuffled order. */
function deliveries(events: StoredEvent[]): StoredEvent[] {
  let state = 42;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const all = events.flatMap((e) => (random() < 0.12 ? [e, e, ...(random() < 0.3 ? [e] : [])] : [e]));
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}

async function deliver(event: StoredEvent, webhook: Webhook): Promise<number> {
  const { event_id, received_at: _receivedAt, ...clerkEvent } = event;
  const body = JSON.stringify(clerkEvent);
  const sentAt = new Date();
  const response = await fetch(sandbox.webhookUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "svix-id": event_id,
      "svix-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
      "svix-signature": webhook.sign(event_id, sentAt, body),
    },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

async function endpoint(name: string, params: Record<string, string>): Promise<Record<string, unknown>[]> {
  const response = await fetch(`${sandbox.url}/v0/pipes/${name}.json?${new URLSearchParams(params)}`, {
    headers: { authorization: `Bearer ${sandbox.storeToken}` },
  });
  const body = (await response.json()) as { data: Record<string, unknown>[] };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body.data;
}

/** Ratios are rounded to 4 places on both sides, with ties broken differently: compare to 3. */
function rounded(rows: object[], ratios: string[]) {
  return rows.map((row) => {
    const copy = { ...row } as Record<string, unknown>;
    for (const key of ratios) copy[key] = Math.round(Number(copy[key]) * 1000) / 1000;
    return copy;
  });
}

beforeAll(async () => {
  sandbox = await startSandbox({ projectRoot: root, now: () => history.now });
  const webhook = new Webhook(sandbox.signingSecret);
  const queue = deliveries(history.events);
  const statuses: number[] = [];
  const retried: number[] = [];
  // Several deliveries at a time, as Svix sends them: concurrent ones share inserts (group commit).
  // A 503 (the store slower than the forwarder's Tinybird timeout, on a starved machine) is retried
  // later with the same svix-id, as Svix does.
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let next = queue.pop(); next; next = queue.pop()) {
        const status = await deliver(next, webhook);
        if (status === 503 && retried.length < 200) {
          retried.push(status);
          queue.unshift(next);
        } else statuses.push(status);
      }
    }),
  );
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
  expect(statuses.length).toBeGreaterThan(history.events.length);
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
  rmSync(root, { recursive: true, force: true });
});

const RANGES = [
  { start_date: "2024-10-01", end_date: "2025-03-31", granularity: "month" },
  { start_date: "2025-01-06", end_date: "2025-03-30", granularity: "week" },
  { start_date: "2025-03-01", end_date: "2025-03-31", granularity: "day" },
];

async function expectOracleFigures(params: Record<string, string>) {
  const now = history.now;
  const { events } = history;
  const growth = await endpoint("user_growth", params);
  expect(growth).toEqual(oracle.userGrowth(events, params, now));
  expect(growth.reduce((sum, r) => sum + Number(r.signups), 0)).toBeGreaterThan(0);
  expect(await endpoint("organization_growth", params)).toEqual(
    oracle.organizationGrowth(events, params, now),
  );
  expect(await endpoint("churn", params)).toEqual(oracle.churn(events, params, now));
  expect(await endpoint("auth_friction", params)).toEqual(oracle.authFriction(events, params, now));
  const daily = { start_date: params.start_date!, end_date: params.end_date! };
  expect(rounded(await endpoint("active_users", daily), ["stickiness"])).toEqual(
    rounded(oracle.activeUsers(events, daily, now), ["stickiness"]),
  );
  expect(rounded(await endpoint("sign_in_methods", daily), ["share"])).toEqual(
    rounded(oracle.signInMethods(events, daily, now), ["share"]),
  );
}

describe("npm start's pipeline, end to end over HTTP", () => {
  it("stored every delivery, re-deliveries included", async () => {
    expect(await sandbox.store.count("clerk_events")).toBeGreaterThan(history.events.length);
  });

  it.each(RANGES)("answers what the oracle computes for %j", expectOracleFigures);
});

describe("a datafile change while npm start runs", () => {
  it("is applied to the stored events, and the endpoints answer the same figures", async () => {
    const stored = await sandbox.store.count("clerk_events");
    const lines: string[] = [];
    const applied = new Promise<string>((resolve) => {
      const watcher = watchDatafiles(sandbox.store, root, (line) => {
        lines.push(line);
        watcher.close();
        resolve(line);
      });
    });
    const edit = (file: string, change: (text: string) => string) => {
      const path = join(root, "tinybird", file);
      const text = readFileSync(path, "utf8");
      const changed = change(text);
      expect(changed, file).not.toBe(text);
      writeFileSync(path, changed);
    };
    edit("datasources/clerk_events.datasource", (text) =>
      // A function: in a replacement string, $` would mean "the text before the match".
      text.replace(
        "`record` String `json:$`",
        (column) => `${column},\n    \`object_type\` String \`json:$.data.object\` DEFAULT ''`,
      ),
    );
    edit("materializations/clerk_events_users_mv.pipe", (text) =>
      text.replace(/^(SQL >\n)/m, "$1    -- rewritten\n"),
    );
    expect(await applied).toMatch(
      /^tinybird\/ changed: migrated clerk_events \(\d+ events re-ingested from record through the new jsonpaths\); rebuilt .*clerk_events_users \(\d+ rows\).* from \d+ stored events/,
    );
    expect(await sandbox.store.count("clerk_events")).toBe(stored);
    expect(
      await sandbox.store.query("SELECT countIf(object_type = '') AS missing FROM clerk_events"),
    ).toEqual([{ missing: 0 }]);
    for (const params of RANGES) await expectOracleFigures(params);
  }, 60_000);
});

describe("a signed event whose Clerk timestamp is unusable", () => {
  it("is stored, at the time the forwarder received it (not 1970-01-01), and answered 200", async () => {
    const stored = await sandbox.store.count("clerk_events");
    const [first] = history.events;
    const data = { ...(first!.data as Record<string, unknown>), id: "user_timestamp_soon" };
    const event = {
      ...first!,
      data,
      event_id: "msg_timestamp_soon",
      timestamp: "soon",
    } as unknown as StoredEvent;
    const before = Date.now();
    // Svix would retry a 503 for days: the event is kept, with the one time the forwarder knows.
    expect(await deliver(event, new Webhook(sandbox.signingSecret))).toBe(200);
    expect(await sandbox.store.count("clerk_events")).toBe(stored + 1);
    const [row] = await sandbox.store.query<{ at: string; received: string }>(
      "SELECT toUnixTimestamp64Milli(event_time) AS at, toUnixTimestamp64Milli(received_at) AS received FROM clerk_events WHERE event_id = 'msg_timestamp_soon'",
    );
    expect(Number(row!.at)).toBe(Number(row!.received));
    expect(Number(row!.at)).toBeGreaterThanOrEqual(before - 1000);
  });
});
