/**
 * The retention heat map's and the users section's pure parts (the grid, the users query, keyset
 * cursors, the periods behind a churn figure, the section's state in the URL), and what the relay lets
 * through to the users endpoint: the declared parameters only, bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MAX_PAGE_SIZE,
  PANELS,
  panelGranularity,
  panelQuery,
  paramProblem,
} from "../../dashboard-app/panels";
import { cellSummary, percent, retentionGrid, shade } from "../../dashboard-app/retention-grid";
import {
  churnFilter,
  DEFAULT_VIEW,
  filterLabel,
  nextCursor,
  periodDays,
  usersQuery,
  viewFromUrl,
  viewToUrl,
} from "../../dashboard-app/users-query";
import { type DashboardWorld, startDashboardWorld } from "../support/dashboard-world";

const RETENTION = PANELS.find((p) => p.endpoint === "retention")!;
const row = (cohort: string, n: number, period: string, active: number, complete = true) => ({
  cohort,
  cohort_size: 4,
  period_number: n,
  period,
  active_users: active,
  retention: active / 4,
  complete,
  created_from: cohort,
  created_to: "2025-01-12",
  active_from: period,
  active_to: "2025-01-19",
});

describe("the retention heat map's grid", () => {
  it("puts each row in its cohort's line at its period number, cohorts in order, the triangle's corner empty", () => {
    const grid = retentionGrid([
      row("2025-01-13", 0, "2025-01-13", 4, false),
      row("2025-01-06", 1, "2025-01-13", 1, false),
      row("2025-01-06", 0, "2025-01-06", 4),
    ]);
    expect(grid.periods).toBe(2);
    expect(grid.cohorts.map((c) => [c.cohort, c.size, c.cells.length])).toEqual([
      ["2025-01-06", 4, 2],
      ["2025-01-13", 4, 1],
    ]);
    const cell = grid.cohorts[0]!.cells[1]!;
    expect(cell).toMatchObject({ activeUsers: 1, retention: 0.25, complete: false, period: "2025-01-13" });
    // The users behind the cell, exactly as the row gives them.
    expect(cell.filter).toEqual({
      created_from: "2025-01-06",
      created_to: "2025-01-12",
      active_from: "2025-01-13",
      active_to: "2025-01-19",
    });
    expect(grid.cohorts[1]!.cells[1]).toBeUndefined();
    expect(cellSummary(cell, "week")).toBe(
      "Cohort 2025-01-06, week 1 (from 2025-01-13): 1 active of 4 users, 25.0% (incomplete)",
    );
  });

  it("writes retention as a percent and shades nothing for nobody, more for more", () => {
    expect(percent(0.5588)).toBe("55.9%");
    expect(percent(1)).toBe("100.0%");
    expect(shade(0)).toBe(0);
    expect(shade(0.01)).toBeGreaterThan(0);
    expect(shade(0.5)).toBeLessThan(shade(0.6));
    expect(shade(1)).toBe(1);
  });

  it("asks retention for weeks when the page shows days (it has no daily cohorts)", () => {
    expect(panelGranularity(RETENTION, "day")).toBe("week");
    expect(panelGranularity(RETENTION, "month")).toBe("month");
    expect(panelQuery(RETENTION, { start: "2025-01-01", end: "2025-01-31", granularity: "day" })).toBe(
      "start_date=2025-01-01&end_date=2025-01-31&granularity=week",
    );
    const churn = PANELS.find((p) => p.endpoint === "churn")!;
    expect(panelGranularity(churn, "day")).toBe("day");
  });
});

describe("the users section's query", () => {
  it("asks one row more than a page, with the filter and the keyset cursor of the sort", () => {
    const view = {
      ...DEFAULT_VIEW,
      search: "acme",
      filter: { churned_from: "2025-03-03", churned_to: "2025-03-09" },
    };
    expect(Object.fromEntries(usersQuery(view))).toEqual({
      search: "acme",
      sort: "created_at",
      order: "desc",
      limit: "26",
      churned_from: "2025-03-03",
      churned_to: "2025-03-09",
    });
    const last = { user_id: "user_b", created_at: "2025-03-01 12:00:00.000", last_sign_in_at: null };
    expect(nextCursor(view, last)).toEqual({
      after_user_id: "user_b",
      after_created_at: "2025-03-01 12:00:00.000",
    });
    // A row without the sort's value: the id alone, as the endpoint's DESCRIPTION says.
    const bySignIn = { ...view, sort: "last_sign_in_at" as const };
    expect(nextCursor(bySignIn, last)).toEqual({ after_user_id: "user_b" });
    expect(usersQuery(bySignIn, nextCursor(bySignIn, last)).get("after_user_id")).toBe("user_b");
  });

  it("lists a churn period's days within the range, as churn counts them", () => {
    const range = { start: "2025-01-08", end: "2025-03-30", granularity: "week" as const };
    expect(periodDays("2025-01-06", "week", range)).toEqual({ from: "2025-01-08", to: "2025-01-12" });
    expect(periodDays("2025-03-24", "week", range)).toEqual({ from: "2025-03-24", to: "2025-03-30" });
    expect(periodDays("2025-02-01", "month", range)).toEqual({ from: "2025-02-01", to: "2025-02-28" });
    expect(periodDays("2024-02-01", "month", { ...range, start: "2024-01-01" })).toEqual({
      from: "2024-02-01",
      to: "2024-02-29",
    });
    expect(periodDays("2025-02-10", "day", range)).toEqual({ from: "2025-02-10", to: "2025-02-10" });
    expect(churnFilter("2025-02-03", "week", range, "inactive")).toEqual({
      churned_from: "2025-02-03",
      churned_to: "2025-02-09",
      churn_reason: "inactive",
    });
  });

  it("names a filter in words for its chip", () => {
    expect(
      filterLabel({
        created_from: "2025-01-06",
        created_to: "2025-01-12",
        active_from: "2025-01-20",
        active_to: "2025-01-26",
      }),
    ).toBe("Signed up 2025-01-06 – 2025-01-12, active 2025-01-20 – 2025-01-26");
    expect(
      filterLabel({ churned_from: "2025-02-10", churned_to: "2025-02-10", churn_reason: "deleted" }),
    ).toBe("Churned on 2025-02-10 (deleted)");
    expect(filterLabel({})).toBe("");
  });

  it("keeps its state in the URL beside the page's own parameters, and reads it back", () => {
    const view = {
      search: "example",
      sort: "last_sign_in_at" as const,
      order: "asc" as const,
      limit: 50,
      filter: { created_from: "2025-01-06", created_to: "2025-01-12" },
    };
    const url = viewToUrl(view, new URLSearchParams("start_date=2025-01-01&users_search=old&users_sort=x"));
    expect(url.toString()).toBe(
      "start_date=2025-01-01&users_search=example&users_sort=last_sign_in_at&users_order=asc&users_limit=50&users_created_from=2025-01-06&users_created_to=2025-01-12",
    );
    expect(viewFromUrl(url)).toEqual(view);
    // Defaults leave the URL alone; what the section does not offer falls back to them.
    expect(viewToUrl(DEFAULT_VIEW, new URLSearchParams("days=30")).toString()).toBe("days=30");
    expect(viewFromUrl(new URLSearchParams("users_sort=user_id&users_order=up&users_limit=100000"))).toEqual(
      DEFAULT_VIEW,
    );
  });
});

describe("the relay in front of the users endpoint", () => {
  const TOKEN = "p.users-read-token";
  let world: DashboardWorld;

  beforeAll(async () => {
    world = await startDashboardWorld(TOKEN, () => ({ status: 200, body: { meta: [], data: [], rows: 0 } }));
  });
  afterAll(() => world?.close());

  it("passes the declared parameters and drops the others (offset, user_id, inactive_days, q, token)", async () => {
    const declared =
      "search=acme&sort=last_sign_in_at&order=asc&limit=26&after_user_id=user_a&after_last_sign_in_at=2025-03-01+12%3A00%3A00.000&active_from=2025-01-20&active_to=2025-01-26&churn_reason=deleted";
    const response = await fetch(
      `${world.proxy.url}/panels/users.json?${declared}&offset=100000&user_id=user_x&inactive_days=1&q=SELECT+1&token=t&email_domain=x.com`,
    );
    expect(response.status).toBe(200);
    expect(world.tinybird.requests.at(-1)!.url).toBe(`/v0/pipes/users.json?${declared}`);
  });

  it("relays the page's query as it is, so the card's endpoint URL is the very call made", async () => {
    const view = { ...DEFAULT_VIEW, search: "acme", filter: { churned_from: "2025-03-03" } };
    const query = usersQuery(view, nextCursor(view, { user_id: "user_b", created_at: "2025-03-01" }));
    await fetch(`${world.proxy.url}/panels/users.json?${query}`);
    expect(world.tinybird.requests.at(-1)!.url).toBe(`/v0/pipes/users.json?${query}`);
  });

  it("refuses a search too long or a page too big, naming the parameter, and relays nothing", async () => {
    const before = world.tinybird.requests.length;
    for (const [query, message] of [
      [`search=${"a".repeat(65)}`, /search must be at most 64 characters/],
      ["limit=100000", /limit must be a whole number from 1 to 200/],
      ["limit=0", /limit/],
      ["limit=2e1", /limit/],
      [`after_user_id=${"u".repeat(200)}`, /after_user_id must be at most 64/],
      [`retention.json?start_date=${"9".repeat(65)}`, /start_date must be at most 64/],
    ] as const) {
      const path = query.includes(".json?") ? query : `users.json?${query}`;
      const response = await fetch(`${world.proxy.url}/panels/${path}`);
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { error: string }).error, query).toMatch(message);
    }
    expect(world.tinybird.requests.length).toBe(before);
    expect(paramProblem("limit", String(MAX_PAGE_SIZE))).toBeUndefined();
    expect(paramProblem("search", "a".repeat(64))).toBeUndefined();
  });
});
