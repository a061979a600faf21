import { resolve } from "node:path";
import { Session } from "chdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateHistory } from "../../local/synthetic-history";
import {
  ingest,
  type LocalTinybird,
  loadTinybirdProject,
  queryPipe,
  querySql,
} from "../../tinybird-model/chdb-project";
import { renderPipeSql, TemplateError } from "../../tinybird-model/template";
import { expectSameFigures } from "./expect-figures";
import * as oracle from "./oracle";

const ROOT = resolve(__dirname, "../..");
const history = generateHistory();

const PIPES = [
  "user_growth",
  "organization_growth",
  "active_users",
  "churn",
  "auth_friction",
  "sign_in_methods",
  "users",
  "delivered_events",
  "retention",
  "headline",
  "billing_subscriptions",
  "billing_trials",
  "billing_payments",
];

let local: LocalTinybird;
const project = () => local.project;

function pipe(name: string) {
  const found = project().pipes.find((p) => p.definition.name === name);
  if (!found) throw new Error(`tinybird/endpoints/${name}.pipe is missing`);
  return found.definition;
}

beforeAll(() => {
  local = loadTinybirdProject(new Session(), ROOT);
  // One INSERT of the whole history: the materialized views see it as one block.
  const result = ingest(local, history.lines, { blockSize: history.lines.length });
  expect(result.quarantined).toEqual([]);
  // ~19,000 deliveries, 56 MB: seconds on a quiet machine, far more on a loaded one.
}, 120_000);

afterAll(() => {
  if (local?.session.open) local.session.cleanup();
});

/** Calls a pipe as its endpoint would be called, with the history's "now" as the clock. */
function call(name: string, params: oracle.Params): Record<string, unknown>[] {
  return queryPipe(local, name, params, { now: history.now });
}

describe("the analytics pipes as deployed", () => {
  it("are all in tinybird/endpoints, readable with the clerk_read token, each published as an endpoint", () => {
    expect(
      project()
        .pipes.map((p) => p.definition.name)
        .sort(),
    ).toEqual([...PIPES].sort());
    for (const { definition } of project().pipes) {
      expect(definition.tokens, definition.name).toEqual([{ name: "clerk_read", permission: "READ" }]);
      expect(definition.endpointNode, definition.name).toBe(definition.nodes.at(-1)!.name);
      expect(definition.description, definition.name).toMatch(/Parameters:/);
    }
  });

  it("name no node like a pipe or a data source (Tinybird keeps those names unique workspace-wide)", () => {
    const p = project();
    const resources = new Set([
      p.dataSource.definition.name,
      ...p.rollups.map((r) => r.definition.name),
      ...p.materializations.map((m) => m.definition.name),
      ...PIPES,
    ]);
    const clashes = [...p.pipes, ...p.materializations].flatMap(({ definition }) =>
      definition.nodes.filter((n) => resources.has(n.name)).map((n) => `${definition.name}.${n.name}`),
    );
    expect(clashes).toEqual([]);
  });

  it("read a history in which Svix re-delivered events of every family the pipes count", () => {
    const [{ rows, events }] = querySql<{ rows: number; events: number }>(
      local,
      "SELECT count() AS rows, uniqExact(event_id) AS events FROM clerk_events",
    ) as [{ rows: number; events: number }];
    expect(events).toBe(history.events.length);
    expect(rows).toBeGreaterThan(events);
    const repeated = querySql<{ event_type: string }>(
      local,
      "SELECT DISTINCT event_type FROM (SELECT event_type, event_id FROM clerk_events GROUP BY event_type, event_id HAVING count() > 1)",
    );
    expect(repeated.map((r) => r.event_type).sort()).toEqual(
      expect.arrayContaining([
        "email.created",
        "organizationMembership.created",
        "session.created",
        "user.created",
        "user.updated",
      ]),
    );
  });
});

describe("user_growth", () => {
  it.each([
    ["the last 90 days by day (defaults)", {}],
    ["weeks of an explicit range", { granularity: "week", start_date: "2024-10-15", end_date: "2025-02-10" }],
    [
      "months of the whole history",
      { granularity: "month", start_date: "2024-10-01", end_date: "2025-03-31" },
    ],
  ])("counts sign-ups, deletions, net growth and the running total: %s", (_, params) => {
    expectSameFigures(call("user_growth", params), oracle.userGrowth(history.events, params, history.now));
  });

  it("starts the running total from the users counted before the range", () => {
    const [first] = call("user_growth", { start_date: "2025-03-01", end_date: "2025-03-01" });
    const before = history.events.filter((e) => e.timestamp < Date.UTC(2025, 2, 2));
    const created = before.filter((e) => e.type === "user.created").length;
    const deleted = before.filter((e) => e.type === "user.deleted").length;
    expect(first).toMatchObject({ period: "2025-03-01", total_users: created - deleted });
  });
});

describe("organization_growth", () => {
  it.each([
    ["the last 90 days by day (defaults)", {}],
    ["weeks", { granularity: "week", start_date: "2024-12-02", end_date: "2025-03-30" }],
    [
      "months of the whole history",
      { granularity: "month", start_date: "2024-10-01", end_date: "2025-03-31" },
    ],
  ])("counts organizations and memberships created, removed, net and running totals: %s", (_, params) => {
    expectSameFigures(
      call("organization_growth", params),
      oracle.organizationGrowth(history.events, params, history.now),
    );
  });
});

describe("active_users", () => {
  it.each([
    ["the last 30 days (defaults)", {}],
    ["December", { start_date: "2024-12-01", end_date: "2024-12-31" }],
    [
      "the first days of the history, before any MAU window is full",
      { start_date: "2024-09-28", end_date: "2024-10-20" },
    ],
  ])("gives DAU, WAU, MAU, stickiness and sign-ins per day: %s", (_, params) => {
    expectSameFigures(call("active_users", params), oracle.activeUsers(history.events, params, history.now), [
      "stickiness",
    ]);
  });
});

describe("churn", () => {
  it.each([
    ["the last 90 days by day, 30 inactive days (defaults)", {}],
    [
      "weeks, 14 inactive days",
      { granularity: "week", inactive_days: "14", start_date: "2024-11-01", end_date: "2025-03-31" },
    ],
    [
      "months, 45 inactive days",
      { granularity: "month", inactive_days: "45", start_date: "2024-10-01", end_date: "2025-03-31" },
    ],
    [
      "a range running past today, 7 inactive days",
      { inactive_days: "7", start_date: "2025-03-01", end_date: "2025-04-30" },
    ],
  ])("counts users deleted and users gone inactive per period: %s", (_, params) => {
    expectSameFigures(call("churn", params), oracle.churn(history.events, params, history.now));
  });

  it("finds inactive users to report in the generated history", () => {
    const rows = call("churn", { granularity: "month", start_date: "2024-10-01", end_date: "2025-03-31" });
    expect(rows.reduce((sum, r) => sum + Number(r.users_inactive), 0)).toBeGreaterThan(100);
    expect(rows.reduce((sum, r) => sum + Number(r.users_deleted), 0)).toBeGreaterThan(20);
  });
});

describe("auth_friction", () => {
  it.each([
    ["the last 30 days by day (defaults)", {}],
    ["weeks", { granularity: "week", start_date: "2025-01-06", end_date: "2025-03-30" }],
    ["months", { granularity: "month", start_date: "2024-10-01", end_date: "2025-03-31" }],
  ])("counts session outcomes, lockouts and e-mails/SMS by status at creation: %s", (_, params) => {
    expectSameFigures(
      call("auth_friction", params),
      oracle.authFriction(history.events, params, history.now),
    );
  });

  it("gives no delivery-failure rate, which creation-time statuses cannot carry, and says so", () => {
    const [row] = call("auth_friction", {});
    expect(Object.keys(row!).filter((k) => /fail/.test(k))).toEqual([]);
    expect(pipe("auth_friction").description).toMatch(/delivery failures are unknown/);
  });

  it("counts removed sessions as the user signing out, and as activity in active_users", () => {
    expect(pipe("auth_friction").description).toMatch(/removed \(the user signed out/);
    const params = { start_date: "2025-02-01", end_date: "2025-02-28" };
    const withoutRemoved = history.events.filter((e) => e.type !== "session.removed");
    expect(oracle.activeUsers(withoutRemoved, params, history.now)).not.toEqual(
      oracle.activeUsers(history.events, params, history.now),
    );
    expectSameFigures(call("active_users", params), oracle.activeUsers(history.events, params, history.now), [
      "stickiness",
    ]);
  });
});

describe("sign_in_methods", () => {
  it.each([
    ["the last 90 days (defaults)", {}],
    ["the first quarter of the history", { start_date: "2024-10-01", end_date: "2024-12-31" }],
  ])("counts users per verification strategy, OAuth provider, factor and device: %s", (_, params) => {
    const rows = call("sign_in_methods", params);
    expectSameFigures(rows, oracle.signInMethods(history.events, params, history.now), ["share"]);
    expect(new Set(rows.map((r) => r.dimension))).toEqual(
      new Set(["email_verification", "phone_verification", "oauth_provider", "factor", "device_type"]),
    );
  });
});

describe("users", () => {
  it("lists one row per user: created, deleted, last sign-in and activity, e-mail domain, organizations", () => {
    const rows = call("users", { limit: "100000" }).map((r) => ({
      ...r,
      days_active: Number(r.days_active),
    }));
    const expected = oracle.users(history.events);
    expect(rows).toEqual(expected);
    expect(expected.some((r) => r.organizations.length > 0)).toBe(true);
    expect(expected.some((r) => r.deleted_at !== null)).toBe(true);
  });

  it("pages with limit and offset, and finds one user by user_id", () => {
    const all = oracle.users(history.events);
    const page = call("users", { limit: "5", offset: "10" });
    expect(page.map((r) => r.user_id)).toEqual(all.slice(10, 15).map((r) => r.user_id));
    const one = call("users", { user_id: all[42]!.user_id });
    expect(one).toHaveLength(1);
    expect(one[0]).toMatchObject({ user_id: all[42]!.user_id, created_at: all[42]!.created_at });
  });

  it("pages by keyset: after_user_id gives the users after that id", () => {
    const all = oracle.users(history.events);
    const next = call("users", { limit: "5", after_user_id: all[9]!.user_id });
    expect(next).toEqual(call("users", { limit: "5", offset: "10" }));
    expect(next.map((r) => r.user_id)).toEqual(all.slice(10, 15).map((r) => r.user_id));
  });

  it("joins other data on user_id, as docs/analytics.md shows", () => {
    // The documented JOIN: sign-ins of the last 7 days by e-mail domain.
    const rows = querySql<{ email_domain: string; sign_ins: number }>(
      local,
      `SELECT u.email_domain AS email_domain, count() AS sign_ins
       FROM (SELECT DISTINCT event_id, user_id FROM clerk_events
             WHERE event_type = 'session.created' AND event_time >= toDateTime64('2025-03-25', 3)) AS e
       LEFT JOIN (SELECT user_id, argMaxMerge(email_domain) AS email_domain FROM clerk_events_users GROUP BY user_id) AS u
         ON u.user_id = e.user_id
       GROUP BY email_domain`,
    );
    const expected = history.events.filter(
      (e) => e.type === "session.created" && e.timestamp >= Date.UTC(2025, 2, 25),
    ).length;
    expect(rows).toEqual([{ email_domain: "example.com", sign_ins: expected }]);
  });
});

describe("delivered_events", () => {
  const MARCH = { start_time: "2025-03-01 00:00:00", end_time: "2025-03-08 00:00:00" };

  it("gives one row per distinct event id in the window of event time, re-deliveries counted once", () => {
    const [{ rows }] = querySql<{ rows: number }>(
      local,
      "SELECT count() AS rows FROM clerk_events WHERE event_time >= '2025-03-01' AND event_time < '2025-03-08'",
    ) as [{ rows: number }];
    const expected = oracle.deliveredEvents(history.events, { ...MARCH, limit: "100000" }, history.now);
    expect(rows).toBeGreaterThan(expected.length);
    expect(call("delivered_events", { ...MARCH, limit: "100000" })).toEqual(expected);
  });

  it("pages by keyset: after_event_id and limit walk the window without a gap or a repeat", () => {
    const pages: Record<string, unknown>[][] = [];
    let after: string | undefined;
    for (;;) {
      const page = call("delivered_events", {
        ...MARCH,
        limit: "250",
        ...(after ? { after_event_id: after } : {}),
      });
      if (page.length === 0) break;
      pages.push(page);
      after = String(page.at(-1)!.event_id);
    }
    expect(pages.length).toBeGreaterThan(2);
    expect(pages.flat()).toEqual(
      oracle.deliveredEvents(history.events, { ...MARCH, limit: "100000" }, history.now),
    );
  });

  it("includes an event at start_time and leaves out one at end_time; defaults to the day ending now", () => {
    const event = history.events.find((e) => e.timestamp % 1000 === 0)!;
    const second = new Date(event.timestamp).toISOString().slice(0, 19).replace("T", " ");
    const ids = (params: oracle.Params) => call("delivered_events", params).map((r) => r.event_id);
    expect(ids({ start_time: second, limit: "100000" })).toContain(event.event_id);
    expect(ids({ end_time: second, limit: "100000" })).not.toContain(event.event_id);
    expect(call("delivered_events", {})).toEqual(oracle.deliveredEvents(history.events, {}, history.now));
  });
});

describe("a stack that names the data source differently", () => {
  it("gets its own rollups and views, and the same figures from the pipes rewritten for that name", () => {
    // Its own database: a database holds one project, as a workspace does.
    const renamed = loadTinybirdProject(local.session, ROOT, {
      dataSourceName: "auth_events",
      database: "renamed",
    });
    expect(renamed.project.rollups.map((r) => r.definition.name)).toContain("auth_events_users");
    querySql(renamed, "INSERT INTO auth_events SELECT * FROM default.clerk_events");
    for (const { definition } of renamed.project.pipes) {
      expect(definition.nodes.filter((n) => /\bclerk_events/.test(n.sql))).toEqual([]);
      const rows = queryPipe(renamed, definition.name, {}, { now: history.now });
      expect(rows, definition.name).toEqual(call(definition.name, {}));
    }
    // The whole history through every view again (~6 s on a quiet machine, several times that on a loaded one).
  }, 60_000);
});

describe("ClickHouse versions", () => {
  it("give the same figures with ClickHouse's previous query analyzer, which older servers run", () => {
    const params = { granularity: "week", start_date: "2025-01-01", end_date: "2025-03-31" };
    const current = PIPES.map((name) => call(name, params));
    querySql(local, "SET enable_analyzer = 0");
    try {
      expect(PIPES.map((name) => call(name, params))).toEqual(current);
    } finally {
      querySql(local, "SET enable_analyzer = 1");
    }
    // Every pipe twice (~6 s on a quiet machine, several times that on a loaded one).
  }, 60_000);
});

describe("parameter errors the endpoints answer with", () => {
  it.each([
    ["user_growth", { granularity: "year" }, "granularity must be one of day, week, month"],
    [
      "auth_friction",
      { start_date: "2025-03-02", end_date: "2025-03-01" },
      "start_date must not be after end_date",
    ],
    ["churn", { inactive_days: "0" }, "inactive_days must be at least 1"],
    ["churn", { inactive_days: "a week" }, "Error validating 'a week' to type Int32"],
    ["active_users", { start_date: "01/03/2025" }, "Error validating '01/03/2025' to type Date"],
    ["delivered_events", { limit: "100001" }, "limit must be between 1 and 100000"],
    [
      "delivered_events",
      { start_time: "2025-03-02 00:00:00", end_time: "2025-03-01 00:00:00" },
      "start_time must be before end_time",
    ],
    ["delivered_events", { start_time: "yesterday" }, "Error validating 'yesterday' to type DateTime"],
  ])("%s with %j: %s", (name, params, message) => {
    expect(() => renderPipeSql(pipe(name), params, { now: history.now })).toThrow(new TemplateError(message));
  });
});
