/**
 * The materialized views as ingestion feeds them: many small INSERTs in arrival order (Svix
 * re-deliveries landing in later blocks than the first delivery), and backfilled creations (issue
 * 12) alongside the live webhooks. Each user, organization and membership must count once.
 */
import { resolve } from "node:path";
import { Session } from "chdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateHistory, type StoredEvent } from "../../local/synthetic-history";
import {
  ingest,
  type LocalTinybird,
  loadTinybirdProject,
  queryPipe,
} from "../../tinybird-model/chdb-project";
import { loadProject } from "../../tinybird-model/project";
import * as oracle from "./oracle";

const ROOT = resolve(__dirname, "../..");
const history = generateHistory({ seed: 11, users: 80 });
// The billing pipes' duplicates, arrival order and small blocks are in billing.test.ts (against an oracle).
const PIPES = loadProject(ROOT)
  .pipes.map((p) => p.definition.name)
  .filter((name) => !name.startsWith("billing_"));
const RANGES = [{}, { granularity: "week", start_date: "2024-10-01", end_date: "2025-03-31" }];

let session: Session;
function load(lines: string[], blockSize: number, database: string): LocalTinybird {
  const local = loadTinybirdProject(session, ROOT, { database });
  expect(ingest(local, lines, { blockSize }).quarantined).toEqual([]);
  return local;
}
const answers = (local: LocalTinybird) =>
  PIPES.flatMap((name) =>
    RANGES.map((params) => queryPipe(local, name, { ...params, limit: "100000" }, { now: history.now })),
  );

/** A backfilled creation as issue 12 writes it: its own event_id, `origin: backfill`, the object's created_at. */
function backfill(e: StoredEvent, kind: "user" | "organization" | "membership"): string {
  return JSON.stringify({
    ...e,
    event_id: `backfill_${kind}_${e.data.id}`,
    timestamp: e.data.created_at,
    received_at: Date.UTC(2025, 2, 31, 14),
    origin: "backfill",
  });
}
const BACKFILLED: Record<string, "user" | "organization" | "membership"> = {
  "user.created": "user",
  "organization.created": "organization",
  "organizationMembership.created": "membership",
};

let oneInsert: LocalTinybird;
/** Every pipe's answers from the one insert, which each way of feeding the views must give. */
let oneInsertAnswers: Record<string, unknown>[][];
beforeAll(() => {
  session = new Session();
  oneInsert = load(history.lines, history.lines.length, "one_insert");
  oneInsertAnswers = answers(oneInsert);
}, 120_000);
afterAll(() => {
  if (session?.open) session.cleanup();
});

describe("materialized views fed as ingestion feeds them", () => {
  it("give the same answers from many small blocks in arrival order, duplicates across blocks, as from one insert", () => {
    // Svix's own re-deliveries, plus every 7th delivery repeated about 300 lines later.
    const lines = history.lines.flatMap((line, i) => {
      const late = i >= 300 && (i - 300) % 7 === 0 ? [history.lines[i - 300]!] : [];
      return [line, ...late];
    });
    const ids = lines.map((l) => (JSON.parse(l) as StoredEvent).event_id);
    const blockSize = 40;
    const blockOf = new Map<string, number>();
    let repeatedAcrossBlocks = 0;
    ids.forEach((id, i) => {
      const block = Math.floor(i / blockSize);
      if (blockOf.has(id) && blockOf.get(id) !== block) repeatedAcrossBlocks++;
      else blockOf.set(id, block);
    });
    expect(repeatedAcrossBlocks).toBeGreaterThan(100);
    expect(answers(load(lines, blockSize, "small_blocks"))).toEqual(oneInsertAnswers);
  }, 60_000);

  it("count a user, organization or membership once when both a backfill and the live webhook report its creation", () => {
    const created = history.events.filter((e) => e.type in BACKFILLED);
    expect(created.length).toBeGreaterThan(80);
    const local = load(
      [...history.lines, ...created.map((e) => backfill(e, BACKFILLED[e.type]!))],
      1_000,
      "live_and_backfill",
    );
    expect(answers(local)).toEqual(oneInsertAnswers);
  }, 60_000);

  it("reconstruct sign-ups and organization totals from a backfill when the live creations were never forwarded", () => {
    const created = history.events.filter((e) => e.type in BACKFILLED);
    const createdIds = new Set(created.map((e) => e.event_id));
    const live = history.lines.filter((l) => !createdIds.has((JSON.parse(l) as StoredEvent).event_id));
    const local = load(
      [...created.map((e) => backfill(e, BACKFILLED[e.type]!)), ...live],
      1_000,
      "backfill_only",
    );
    const params = { granularity: "month", start_date: "2024-10-01", end_date: "2025-03-31" };
    expect(queryPipe(local, "user_growth", params, { now: history.now })).toEqual(
      queryPipe(oneInsert, "user_growth", params, { now: history.now }),
    );
    expect(queryPipe(local, "organization_growth", params, { now: history.now })).toEqual(
      queryPipe(oneInsert, "organization_growth", params, { now: history.now }),
    );
    expect(
      queryPipe(local, "user_growth", params, { now: history.now }).map((r) => Number(r.signups)),
    ).toEqual(oracle.userGrowth(history.events, params, history.now).map((r) => r.signups));
  });
});
