/**
 * The endpoints' totals once the backfill ran, on real ClickHouse (chDB) with the pipes as they are:
 * they must equal what the Clerk stand-in holds, also when live webhooks report the creation of
 * some of the same objects (issue 12's contract; counting one object once across the two sources is
 * issue 11's change to the pipes).
 */
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProject } from "../../infra/provisioning/tinybird/project";
import { type ClickHouseHarness, openClickHouse } from "../../local/clickhouse";
import { renderPipeSql } from "../../local/tinybird-template";
import { clerkFixture } from "../support/forwarder-stubs";
import { startWorld, type World } from "./world";

const project = loadProject(resolve(__dirname, "../.."));
const pipe = (name: string) => project.pipes.find((p) => p.definition.name === name)!.definition;
const RANGE = { start_date: "2023-12-01", end_date: "2025-12-31", granularity: "month" };

let ch: ClickHouseHarness;
let world: World;

beforeAll(async () => {
  world = await startWorld({ users: 300, organizations: 40, memberships: 120 });
  const { code } = await world.run();
  expect(code).toBe(0);
});
afterAll(async () => {
  ch?.close();
  await world?.close();
});

function totals(rows: Record<string, unknown>[]) {
  ch = openClickHouse();
  ch.createTable(project.dataSource.definition);
  expect(ch.ingest(project.dataSource.definition, rows).quarantined).toEqual([]);
  const now = new Date(Date.UTC(2025, 11, 31, 12));
  const users = ch.query(renderPipeSql(pipe("user_growth"), RANGE, { now })).at(-1)!;
  const orgs = ch.query(renderPipeSql(pipe("organization_growth"), RANGE, { now })).at(-1)!;
  ch.close();
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

  // Depends on issue 11: today's pipes de-duplicate on event_id only, so an object whose creation
  // both the backfill and a live webhook report is counted twice. Turn `it.fails` into `it` once
  // issue 11's pipes (one count per object id) are merged.
  it.fails("count an object once when both the backfill and a live webhook report its creation", () => {
    expect(totals([...world.tinybird.rows, ...liveCreations(25)])).toEqual({
      users: 300,
      organizations: 40,
      memberships: 120,
    });
  });
});
