/**
 * What the dashboard's analytics product asks of the endpoints (issue 23), on chDB against the
 * oracles: every endpoint, the Clerk Billing ones included, over edge ranges (1970-01-01 to
 * 2149-06-06, before the first event, one day, across years) and bad ones; retention cohorts and the users behind a cell; the headline
 * figures beside the previous period; the users section's search, filters, sorts and keyset pages.
 *
 * The generated history gets a few e-mail domains instead of one, a user who never signs in and
 * activity from a user whose creation never arrived, so that search, sorting with missing values
 * and cohorts without a creation have something to find.
 */
import { resolve } from "node:path";
import { Session } from "chdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventRow } from "../../lambda/event-row";
import { generateHistory, type StoredEvent } from "../../local/synthetic-history";
import {
  ingest,
  type LocalTinybird,
  loadTinybirdProject,
  pipeSql,
  queryPipe,
  querySql,
} from "../../tinybird-model/chdb-project";
import * as billing from "./billing-oracle";
import { expectSameFigures } from "./expect-figures";
import * as oracle from "./oracle";

const ROOT = resolve(__dirname, "../..");
const DOMAINS = ["example.com", "acme.io", "Globex.example", "initech.co"];

/**
 * The default history with e-mail domains spread over DOMAINS, plus users at the edges: one who
 * never signs in, one whose creation never arrived, and sign-ins, a paid subscription item and a
 * paid payment attempt in January 1970 and June 2149 (so that a range starting on 1970-01-01 or
 * ending on 2149-06-06 has figures a wrap would lose).
 */
function historyForTheDashboard() {
  const base = generateHistory();
  const spread = (text: string) =>
    text.replace(
      /user(\d+)@example\.com/g,
      (_, n: string) => `user${n}@${DOMAINS[Number(n) % DOMAINS.length]}`,
    );
  const template = (type: string) => base.events.find((e) => e.type === type)!;
  const signUp = template("user.created");
  const signIn = template("session.created");
  const paidItem = base.events.find((e) => e.type === "subscriptionItem.active" && e.data.plan.amount > 0)!;
  const paidAttempt = base.events.find(
    (e) => e.type === "paymentAttempt.updated" && e.data.status === "paid",
  )!;
  /** A copy of `event` at `at`, its data changed by `data`, from the edge user `i`. */
  const atEdge = (event: StoredEvent, at: number, i: number, data: Record<string, unknown>): StoredEvent => ({
    ...structuredClone(event),
    event_id: `msg_edge_${event.type}_${at}`,
    timestamp: at,
    received_at: at + 1000,
    data: {
      ...structuredClone(event.data),
      payer: { ...event.data.payer, id: `cpayer_edge_${i}`, user_id: `user_zz_edge_${i}` },
      created_at: at,
      updated_at: at,
      ...data,
    },
  });
  const extra: StoredEvent[] = [
    {
      ...structuredClone(signUp),
      event_id: "msg_quiet_user",
      timestamp: Date.UTC(2025, 2, 5, 9),
      received_at: Date.UTC(2025, 2, 5, 9, 0, 1),
      data: {
        ...structuredClone(signUp.data),
        id: "user_quiet_never_signs_in",
        email_addresses: [{ ...signUp.data.email_addresses[0], email_address: "quiet@quiet.example.org" }],
      },
    },
    ...[Date.UTC(1970, 0, 15, 8), Date.UTC(2149, 5, 2, 8)].map((at, i) => ({
      ...structuredClone(signIn),
      event_id: `msg_edge_sign_in_${i}`,
      timestamp: at,
      received_at: at + 1000,
      data: { ...structuredClone(signIn.data), id: `sess_edge_${i}`, user_id: `user_zz_edge_${i}` },
    })),
    ...[Date.UTC(1970, 0, 15, 9), Date.UTC(2149, 5, 2, 9)].flatMap((at, i) => [
      atEdge(paidItem, at, i, { id: `csub_item_edge_${i}`, period_start: at }),
      atEdge(paidAttempt, at, i, { id: `pa_edge_${i}`, payment_id: `cpa_edge_${i}`, paid_at: at }),
    ]),
    // The 1970 item ends within weeks: a range from 1970 sees it come and go.
    atEdge({ ...paidItem, type: "subscriptionItem.ended" }, Date.UTC(1970, 1, 10, 9), 0, {
      id: "csub_item_edge_0",
      status: "ended",
    }),
    {
      ...structuredClone(signIn),
      event_id: "msg_unknown_creation",
      timestamp: Date.UTC(2025, 2, 10, 12),
      received_at: Date.UTC(2025, 2, 10, 12, 0, 1),
      data: {
        ...structuredClone(signIn.data),
        id: "sess_unknown_creation",
        user_id: "user_zz_created_before_forwarding",
      },
    },
  ];
  const events = [
    ...base.events.map((e) => JSON.parse(spread(JSON.stringify(e))) as StoredEvent),
    ...extra,
  ].sort((a, b) => a.timestamp - b.timestamp);
  // As the forwarder writes them: its own ISO-8601 event_time and received_at beside Clerk's timestamp.
  const lines = [
    ...base.lines.map(spread),
    ...extra.map(({ event_id, received_at, ...event }) =>
      JSON.stringify(eventRow(event, event_id, received_at)),
    ),
  ];
  return { now: base.now, events, lines };
}

const history = historyForTheDashboard();
let local: LocalTinybird;

// Building the project and ingesting the history took past the 30 s hook default at load 20.
beforeAll(() => {
  local = loadTinybirdProject(new Session(), ROOT);
  expect(ingest(local, history.lines, { blockSize: history.lines.length }).quarantined).toEqual([]);
}, 120_000);

afterAll(() => {
  if (local?.session.open) local.session.cleanup();
});

const call = (name: string, params: oracle.Params) => queryPipe(local, name, params, { now: history.now });
const ids = (rows: Record<string, unknown>[]) => rows.map((r) => r.user_id);

describe("every endpoint over edge ranges", () => {
  const DAILY = new Set(["active_users", "sign_in_methods", "headline"]);
  const RANGES: [string, oracle.Params][] = [
    [
      "before the first event, by week",
      { start_date: "2020-01-01", end_date: "2020-02-15", granularity: "week" },
    ],
    ["a single day", { start_date: "2025-03-15", end_date: "2025-03-15" }],
    ["a start after today, no end (that day alone)", { start_date: "2026-01-05" }],
    [
      "an end without a start (the default length ending then)",
      { end_date: "2025-01-15", granularity: "week" },
    ],
    ["across a new year, by week", { start_date: "2024-12-20", end_date: "2025-01-12", granularity: "week" }],
    [
      "the first weeks of 1970 (the first starts on 1969-12-29)",
      { start_date: "1970-01-01", end_date: "1970-02-20", granularity: "week" },
    ],
    [
      "the last weeks before 2149-06-06",
      { start_date: "2149-04-20", end_date: "2149-06-06", granularity: "week" },
    ],
    ["from 1970-01-01 to today, by month", { start_date: "1970-01-01", granularity: "month" }],
    [
      "from 1970-01-01 to 2149-06-06, by month",
      { start_date: "1970-01-01", end_date: "2149-06-06", granularity: "month" },
    ],
  ];
  /** Per-day endpoints take the ranges without their granularity, the two long ones by month left out. */
  const rangesOf = (name: string): [string, oracle.Params][] =>
    DAILY.has(name)
      ? RANGES.filter(([, r]) => r.granularity !== "month").map(
          ([label, { granularity: _, ...r }]): [string, oracle.Params] => [label, r],
        )
      : RANGES.map(([label, r]): [string, oracle.Params] => [
          label,
          name === "retention" && r.granularity !== "month" ? { ...r, granularity: "week" } : r,
        ]);
  /** The endpoints and their oracle; retention has no days, so day ranges ask it for weeks. */
  const ENDPOINTS: [string, (params: oracle.Params) => object[], string[]][] = [
    ["user_growth", (p) => oracle.userGrowth(history.events, p, history.now), []],
    ["organization_growth", (p) => oracle.organizationGrowth(history.events, p, history.now), []],
    ["churn", (p) => oracle.churn(history.events, p, history.now), []],
    ["auth_friction", (p) => oracle.authFriction(history.events, p, history.now), []],
    ["active_users", (p) => oracle.activeUsers(history.events, p, history.now), ["stickiness"]],
    ["sign_in_methods", (p) => oracle.signInMethods(history.events, p, history.now), ["share"]],
    ["retention", (p) => oracle.retention(history.events, p, history.now), ["retention"]],
    [
      "headline",
      (p) => oracle.headline(history.events, p, history.now),
      ["value", "previous_value", "change", "change_ratio"],
    ],
    ["billing_subscriptions", (p) => billing.subscriptions(history.events, p, history.now), []],
    ["billing_trials", (p) => billing.trials(history.events, p, history.now), ["conversion_rate"]],
    ["billing_payments", (p) => billing.payments(history.events, p, history.now), []],
  ];

  it.each(ENDPOINTS)("%s gives the oracle's figures over each edge range", (name, expected, ratios) => {
    for (const [label, params] of rangesOf(name)) {
      try {
        expectSameFigures(call(name, params), expected(params), ratios);
      } catch (error) {
        throw new Error(`${name}, ${label} (${JSON.stringify(params)}): ${(error as Error).message}`);
      }
    }
  });

  it("billing_subscriptions by plan gives the oracle's figures from 1970-01-01 and to 2149-06-06", () => {
    const edges = RANGES.filter(
      ([label]) => label.startsWith("the first weeks of 1970") || label.endsWith("to 2149-06-06, by month"),
    );
    expect(edges.length).toBe(2);
    for (const [label, range] of edges) {
      const params = { ...range, by: "plan" };
      expect(call("billing_subscriptions", params), label).toEqual(
        billing.subscriptions(history.events, params, history.now),
      );
    }
  });

  it("lists the users signed up, active or churned in edge ranges as the oracle does", () => {
    for (const params of [
      { created_from: "1970-01-01", created_to: "2149-06-06" },
      { active_from: "1970-01-01", active_to: "2024-10-31" },
      { churned_from: "2025-03-31", churned_to: "2149-06-06" },
      { created_from: "2020-01-01", created_to: "2020-12-31" },
    ]) {
      const expected = oracle.users(history.events, params, history.now);
      expect(ids(call("users", { ...params, limit: "100000" })), JSON.stringify(params)).toEqual(
        ids(expected),
      );
    }
  });

  const ERRORS: [string, oracle.Params, RegExp][] = [
    [
      "garbage",
      { start_date: "garbage" },
      /^start_date must be a date from 1970-01-01 to 2149-06-06, as YYYY-MM-DD$/,
    ],
    ["garbage with an end", { start_date: "garbage", end_date: "2025-03-01" }, /start_date must be a date/],
    ["a garbage end", { end_date: "soon" }, /end_date must be a date/],
    [
      "a reversed range",
      { start_date: "2025-03-02", end_date: "2025-03-01" },
      /^start_date must not be after end_date$/,
    ],
    [
      "a day not of the calendar",
      { start_date: "2025-02-30", end_date: "2025-03-31" },
      /start_date must be a date/,
    ],
    ["a day before 1970", { start_date: "1969-12-31" }, /start_date must be a date/],
    ["a day after 2149-06-06", { end_date: "2149-06-07" }, /end_date must be a date/],
  ];
  it.each(ENDPOINTS.map(([name]) => name))(
    "%s answers bad ranges with an error naming the parameter",
    (name) => {
      for (const [label, params, message] of ERRORS) {
        expect(() => call(name, params), `${name}: ${label}`).toThrow(message);
      }
    },
  );

  it("users answers bad filter dates with an error naming the parameter", () => {
    expect(() => call("users", { created_from: "garbage" })).toThrow(/^created_from must be a date/);
    expect(() => call("users", { created_from: "2025-03-02", created_to: "2025-03-01" })).toThrow(
      "created_from must not be after created_to",
    );
    expect(() => call("users", { active_to: "2025-02-30" })).toThrow(/active_to must be a date/);
    expect(() => call("users", { churned_from: "1969-12-31" })).toThrow(/churned_from must be a date/);
  });
});

describe("retention", () => {
  it.each([
    ["the last 90 days by week (defaults)", {}],
    [
      "months of the whole history",
      { granularity: "month", start_date: "2024-10-01", end_date: "2025-03-31" },
    ],
    [
      "weeks of a range cut mid-week",
      { granularity: "week", start_date: "2025-01-08", end_date: "2025-02-20" },
    ],
  ])("gives each cohort's size and its users active in each following period: %s", (_, params) => {
    const rows = call("retention", params);
    expectSameFigures(rows, oracle.retention(history.events, params, history.now), ["retention"]);
    expect(rows.some((r) => Number(r.period_number) > 0 && Number(r.active_users) > 0)).toBe(true);
  });

  it("marks incomplete the cells still running and the cohorts the range cuts", () => {
    const rows = call("retention", { granularity: "week", start_date: "2025-01-08", end_date: "2025-03-31" });
    const current = rows.filter((r) => r.period === "2025-03-31");
    expect(current.length).toBeGreaterThan(0);
    expect(current.every((r) => r.complete === false)).toBe(true);
    expect(rows.filter((r) => r.cohort === "2025-01-06").every((r) => r.complete === false)).toBe(true);
    expect(rows.filter((r) => r.cohort === "2025-01-13" && r.period === "2025-01-20")).toMatchObject([
      { complete: true },
    ]);
  });

  it("gives for each cell the users filters that list exactly the users behind it", () => {
    const rows = call("retention", {
      granularity: "month",
      start_date: "2024-12-10",
      end_date: "2025-03-31",
    });
    // A cell of each cohort (the first one cut by the range), and a later one of the first.
    const cells = rows.filter(
      (r) => r.period_number === 1 || (r.cohort === "2024-12-01" && r.period_number === 2),
    );
    expect(cells.length).toBe(4);
    for (const cell of cells) {
      const behind = {
        created_from: String(cell.created_from),
        created_to: String(cell.created_to),
        active_from: String(cell.active_from),
        active_to: String(cell.active_to),
      };
      const listed = call("users", { ...behind, limit: "100000" });
      expect(listed.length, JSON.stringify(cell)).toBe(Number(cell.active_users));
      expect(ids(listed)).toEqual(ids(oracle.users(history.events, behind, history.now)));
      const cohort = call("users", {
        created_from: behind.created_from,
        created_to: behind.created_to,
        limit: "100000",
      });
      expect(cohort.length).toBe(Number(cell.cohort_size));
    }
  });

  it("refuses a granularity other than week or month", () => {
    expect(() => call("retention", { granularity: "day" })).toThrow("granularity must be one of week, month");
  });
});

describe("headline", () => {
  it.each([
    ["the last 30 days (defaults)", {}],
    ["a week, 7 inactive days", { start_date: "2025-03-17", end_date: "2025-03-23", inactive_days: "7" }],
    ["a year ending in the future", { start_date: "2024-06-01", end_date: "2025-05-31" }],
  ])("gives each figure beside the previous period of equal length: %s", (_, params) => {
    const rows = call("headline", params);
    expectSameFigures(rows, oracle.headline(history.events, params, history.now), [
      "value",
      "previous_value",
      "change",
      "change_ratio",
    ]);
  });

  it("agrees with the endpoints each figure comes from", () => {
    const range = { start_date: "2025-02-01", end_date: "2025-03-02" };
    const figures = call("headline", range);
    const figure = (name: string) => figures.find((r) => r.figure === name)!;
    const growth = call("user_growth", range);
    const active = call("active_users", range);
    expect(figure("total_users").value).toBe(growth.at(-1)!.total_users);
    expect(figure("new_users").value).toBe(growth.reduce((sum, r) => sum + Number(r.signups), 0));
    expect(figure("mau").value).toBe(active.at(-1)!.mau);
    expect(figure("dau").value).toBeCloseTo(
      active.reduce((sum, r) => sum + Number(r.dau), 0) / active.length,
      2,
    );
    expect(figure("total_organizations").value).toBe(
      call("organization_growth", range).at(-1)!.total_organizations,
    );
    const stickiness = Number(figure("stickiness").value);
    expect(stickiness).toBeGreaterThan(0);
    expect(stickiness).toBeLessThan(1);
  });

  it("reads each rollup it needs once", () => {
    const tables = ["clerk_events_users", "clerk_events_user_months", "clerk_events_organizations"];
    const sizes = tables.map((t) => querySql<{ n: number }>(local, `SELECT count() AS n FROM ${t}`)[0]!.n);
    const answer = JSON.parse(local.session.query(pipeSql(local, "headline", {}, history.now), "JSON")) as {
      statistics: { rows_read: number };
    };
    // Beyond the three rollups, only the one-row reads of the scalar subqueries on the ranges node:
    // far fewer rows than a second read of any rollup would add.
    const extra = answer.statistics.rows_read - sizes.reduce((a, b) => a + b, 0);
    expect(extra).toBeGreaterThanOrEqual(0);
    expect(extra).toBeLessThan(Math.min(...sizes) / 10);
  });
});

describe("users, for the dashboard's users section", () => {
  const all = (params: oracle.Params) => call("users", { ...params, limit: "100000" });
  const expected = (params: oracle.Params) => oracle.users(history.events, params, history.now);

  it.each([
    ["search by a part of the e-mail domain, any case", { search: "GLOBEX" }],
    ["search by a part of the user id", { search: "user_0" }],
    ["one e-mail domain exactly", { email_domain: "ACME.io" }],
    ["signed up in March", { created_from: "2025-03-01", created_to: "2025-03-31" }],
    [
      "active in the last week, newest sign-ups first",
      { active_from: "2025-03-25", sort: "created_at", order: "desc" },
    ],
    ["churned in February", { churned_from: "2025-02-01", churned_to: "2025-02-28" }],
    [
      "gone inactive in March after 14 days",
      { churned_from: "2025-03-01", churn_reason: "inactive", inactive_days: "14" },
    ],
    [
      "deleted in the first quarter",
      { churned_from: "2025-01-01", churned_to: "2025-03-31", churn_reason: "deleted" },
    ],
    ["by last sign-in, those who never signed in last", { sort: "last_sign_in_at" }],
    ["by creation, newest first, unknown creations last", { sort: "created_at", order: "desc" }],
  ])("lists the users the oracle lists: %s", (_, params) => {
    const want = expected(params);
    expect(want.length).toBeGreaterThan(0);
    expect(all(params)).toEqual(want);
  });

  it("counts the users behind a churn period as churn does", () => {
    const period = { churned_from: "2025-02-01", churned_to: "2025-02-28", inactive_days: "14" };
    const [row] = call("churn", {
      granularity: "month",
      start_date: "2025-02-01",
      end_date: "2025-02-28",
      inactive_days: "14",
    });
    expect(all({ ...period, churn_reason: "inactive" }).length).toBe(row!.users_inactive);
    expect(all({ ...period, churn_reason: "deleted" }).length).toBe(row!.users_deleted);
  });

  it.each([
    ["user_id", "asc", {}],
    ["user_id", "desc", { search: "e" }],
    ["created_at", "asc", {}],
    ["created_at", "desc", {}],
    ["last_sign_in_at", "asc", {}],
    ["last_sign_in_at", "desc", {}],
  ])(
    "pages by keyset sorted by %s %s %j, through users without the value, to the same list",
    (sort, order, filters) => {
      const asked = { sort, order, ...filters };
      const want = ids(expected(asked));
      const listed: unknown[] = [];
      for (let page = call("users", { ...asked, limit: "250" }); page.length > 0; ) {
        listed.push(...ids(page));
        const last = page.at(-1)!;
        const after: oracle.Params = { after_user_id: String(last.user_id) };
        if (sort !== "user_id" && last[sort] !== null) after[`after_${sort}`] = String(last[sort]);
        page = call("users", { ...asked, ...after, limit: "250" });
      }
      expect(listed).toEqual(want);
      expect(want.length).toBeGreaterThan(1000);
    },
  );

  it("refuses unknown sorts, orders and churn reasons, and a keyset value without its user", () => {
    expect(() => call("users", { sort: "email" })).toThrow(
      "sort must be one of user_id, created_at, last_sign_in_at",
    );
    expect(() => call("users", { order: "up" })).toThrow("order must be one of asc, desc");
    expect(() => call("users", { churn_reason: "bored" })).toThrow(
      "churn_reason must be one of deleted, inactive",
    );
    expect(() => call("users", { sort: "created_at", after_created_at: "2025-03-01 00:00:00.000" })).toThrow(
      /go with after_user_id/,
    );
  });
});

describe("ClickHouse's previous query analyzer, which older servers run", () => {
  it("gives the same users, cohorts and headline figures for the new parameters", () => {
    const cases: [string, oracle.Params][] = [
      [
        "users",
        {
          sort: "created_at",
          order: "desc",
          active_from: "2025-03-01",
          churned_from: "2025-01-01",
          search: "e",
        },
      ],
      [
        "users",
        {
          sort: "last_sign_in_at",
          after_user_id: "user_x",
          after_last_sign_in_at: "2025-03-01 00:00:00.000",
        },
      ],
      [
        "users",
        { churned_from: "2025-02-01", churn_reason: "inactive", inactive_days: "7", email_domain: "acme.io" },
      ],
      ["retention", { granularity: "month", start_date: "2024-10-01" }],
      ["headline", { start_date: "1970-01-01", end_date: "1970-01-31" }],
    ];
    const current = cases.map(([name, params]) => call(name, params));
    querySql(local, "SET enable_analyzer = 0");
    try {
      expect(cases.map(([name, params]) => call(name, params))).toEqual(current);
    } finally {
      querySql(local, "SET enable_analyzer = 1");
    }
  });
});
