/**
 * The endpoints' totals once the backfill ran, on real ClickHouse (chDB) with the pipes as they are:
 * they must equal what the Clerk stand-in holds, also when live webhooks report the creation of
 * some of the same objects (the rollups key creations on the object's id, not the event's).
 */
import { resolve } from "node:path";
import { Session } from "chdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingest, loadTinybirdProject, queryPipe } from "../../tinybird-model/chdb-project";
import { clerkFixture } from "../support/forwarder-stubs";
import { startWorld, type World } from "./world";

const ROOT = resolve(__dirname, "../..");
const RANGE = { start_date: "2023-12-01", end_date: "2025-12-31", granularity: "month" };

// chDB allows one session per process: each count gets its own database in it.
const session = new Session();
let databases = 0;
let world: World;

beforeAll(async () => {
  world = await startWorld({ users: 300, organizations: 40, memberships: 120 });
  const { code } = await world.run();
  expect(code).toBe(0);
});
afterAll(async () => {
  session.cleanup();
  await world?.close();
});

function totals(rows: Record<string, unknown>[]) {
  const local = loadTinybirdProject(session, ROOT, { database: `backfill_${++databases}` });
  // Small blocks, so a backfilled creation and its live twin can land in different inserts.
  expect(ingest(local, rows, { blockSize: 97 }).quarantined).toEqual([]);
  const now = new Date(Date.UTC(2025, 11, 31, 12));
  const users = queryPipe(local, "user_growth", RANGE, { now }).at(-1)!;
  const orgs = queryPipe(local, "organization_growth", RANGE, { now }).at(-1)!;
  return {
    users: Number(users.total_users),
    organizations: Number(orgs.total_organizations),
    memberships: Number(orgs.total_memberships),
  };
}

/** Live webhook rows (svix ids) reporting the creation of the first `n` objects of each kind. */
function liveCreations(n: number): Record<string, unknown>[] {
  const { users, organizations, memberships } = world.clerk.directory;
  const live = (type: string, data: Record<string, unknown>, i: number) => ({
    ...clerkFixture(type),
    data,
    timestamp: data.created_at,
    event_id: `msg_live_${type}_${i}`,
    received_at: Number(data.created_at) + 500,
  });
  return [
    ...users.slice(0, n).map((u, i) => live("user.created", u, i)),
    ...organizations.slice(0, n).map((o, i) => live("organization.created", o, i)),
    ...memberships.slice(0, n).map((m, i) => live("organizationMembership.created", m, i)),
  ];
}

describe("the endpoints after a backfill", () => {
  it("count every user, organization and membership the instance holds, once, across re-runs", async () => {
    expect((await world.run()).code).toBe(0);
    expect(totals(world.tinybird.rows)).toEqual({ users: 300, organizations: 40, memberships: 120 });
  });

  // The two reports have different event_ids: the rollups count the object by its own id.
  it("count an object once when both the backfill and a live webhook report its creation", () => {
    expect(totals([...world.tinybird.rows, ...liveCreations(25)])).toEqual({
      users: 300,
      organizations: 40,
      memberships: 120,
    });
  });
});
