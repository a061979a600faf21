/**
 * The retention heat map and the users section in Debian's headless Chromium, against npm start's
 * pipeline (the suite's one seeded sandbox, seeded-sandbox.ts): the cells are the retention
 * endpoint's numbers, a cell's users are exactly the users endpoint's for its filters (as many as the
 * cell says), search, sort and keyset pages list what the endpoint lists, the churned of a period
 * likewise, all by keyboard too.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { type Chromium, launchChromium } from "../../dashboard-app/chromium";
import { PANELS } from "../../dashboard-app/panels";
import { cellSummary, percent, retentionGrid } from "../../dashboard-app/retention-grid";
import { filterLabel, periodDays, type UsersFilter } from "../../dashboard-app/users-query";
import { downloadCsv } from "../support/csv-download";
import { holdRequests } from "../support/held-route";
import { sharedSandbox, workspaceOverSandbox } from "./seeded-sandbox";

// Nine whole weeks of sign-ups, the last one's week 1 holding today: incomplete.
const RANGE = { start: "2025-01-27", end: "2025-03-30", granularity: "week" as const };
const RANGE_QUERY = `start_date=${RANGE.start}&end_date=${RANGE.end}&granularity=week`;
type Row = Record<string, any>;
const sandbox = sharedSandbox();
let browser: Chromium;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

async function endpoint(name: string, params: Record<string, string>): Promise<Row[]> {
  const answer = await fetch(`${sandbox.url}/v0/pipes/${name}.json?${new URLSearchParams(params)}`, {
    headers: { authorization: `Bearer ${sandbox.storeToken}` },
  });
  expect(answer.status, name).toBe(200);
  return ((await answer.json()) as { data: Row[] }).data;
}

/** The users endpoint's ids for a filter, in the section's default order. */
const usersOf = async (params: Record<string, string>) =>
  (await endpoint("users", { sort: "created_at", order: "desc", limit: "100000", ...params })).map(
    (r) => r.user_id as string,
  );

async function open(query: string): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${sandbox.url}/?${query}`);
  await page.waitForSelector('body[data-loaded="true"]');
  return page;
}

/** Runs what starts a users load (it marks the section loading at once) and waits for its end. */
async function usersAfter(page: Page, action: () => Promise<unknown>): Promise<void> {
  await action();
  await page.waitForSelector('#users .card:not([data-state="loading"])');
}

const listed = (page: Page) =>
  page.$$eval('#users tbody td[data-column="user_id"]', (tds) => tds.map((td) => td.textContent ?? ""));

/** Every page of the section's list, by "Next". */
async function everyPage(page: Page): Promise<string[]> {
  const ids = await listed(page);
  while (await page.isEnabled('#users [data-page="next"]')) {
    await usersAfter(page, () => page.click('#users [data-page="next"]'));
    ids.push(...(await listed(page)));
  }
  return ids;
}

const heatCells = (page: Page) =>
  page.$$eval("#retention td.cell", (tds) =>
    tds.map((td) => ({
      cohort: td.dataset.cohort,
      period_number: Number(td.dataset.periodNumber),
      active_users: Number(td.dataset.activeUsers),
      retention: Number(td.dataset.retention),
      complete: td.dataset.complete === "true",
      hatched: td.classList.contains("incomplete"),
      text: td.querySelector(".value")?.textContent,
    })),
  );

const focused = (page: Page) =>
  page.evaluate(`(() => {
    const el = document.activeElement;
    return el ? { tag: el.tagName, id: el.id, cohort: el.dataset.cohort ?? null, n: el.dataset.periodNumber ?? null } : null;
  })()`) as Promise<{ tag: string; id: string; cohort: string | null; n: string | null } | null>;

describe("the retention heat map", () => {
  it("draws the retention endpoint's cohorts, percents and incomplete cells; hovering shows a cell's numbers", async () => {
    const page = await open(RANGE_QUERY);
    const rows = await endpoint("retention", {
      start_date: RANGE.start,
      end_date: RANGE.end,
      granularity: "week",
    });
    expect(rows.length).toBeGreaterThan(30);
    expect(await page.getAttribute("#retention .card", "data-state")).toBe("data");
    expect(await heatCells(page)).toEqual(
      rows.map((r) => ({
        cohort: r.cohort,
        period_number: r.period_number,
        active_users: r.active_users,
        retention: r.retention,
        complete: r.complete,
        hatched: !r.complete,
        text: percent(r.retention),
      })),
    );
    expect(rows.some((r) => !r.complete) && rows.some((r) => r.complete)).toBe(true);
    const grid = retentionGrid(rows);
    expect(
      await page.$$eval("#retention .heatmap tbody tr", (trs) =>
        trs.map((tr) => [
          tr.querySelector('th[scope="row"]')?.textContent,
          tr.querySelector('[data-column="cohort_size"]')?.textContent,
        ]),
      ),
    ).toEqual(grid.cohorts.map((c) => [c.cohort, String(c.size)]));

    const cell = grid.cohorts[2]!.cells[3]!;
    const selector = `#retention td[data-cohort="${cell.cohort}"][data-period-number="3"]`;
    await page.hover(selector);
    expect(await page.textContent("#retention .retention-detail")).toBe(cellSummary(cell, "week"));
    expect(await page.getAttribute(selector, "title")).toBe(cellSummary(cell, "week"));

    // By day, the page asks retention for weeks and says so.
    const asked: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/panels/retention.json")) asked.push(request.url());
    });
    await page.selectOption("#granularity", "day");
    await page.waitForSelector('body[data-loaded="true"]');
    expect(asked).toHaveLength(1);
    expect(new URL(asked[0]!).searchParams.get("granularity")).toBe("week");
    expect(await page.textContent("#retention .retention-note")).toContain("retention has no daily cohorts");
    expect(await page.textContent("#retention .heatmap thead")).toContain("Week 0");
    expect((await heatCells(page)).length).toBe(rows.length);
    await page.close();
  });

  it("is a card like every other: its numbers table, a CSV of exactly the endpoint's rows, its endpoint URL and curl line", async () => {
    const page = await open(RANGE_QUERY);
    const rows = await endpoint("retention", {
      start_date: RANGE.start,
      end_date: RANGE.end,
      granularity: "week",
    });
    const file = await downloadCsv(page, "retention");
    expect(file.name).toBe(`retention_${RANGE.start}_${RANGE.end}.csv`);
    expect(file.columns).toEqual([
      "cohort",
      "period",
      "period_number",
      "cohort_size",
      "active_users",
      "retention (ratio)",
      "complete",
    ]);
    expect(file.rows).toEqual(
      rows.map((r) => ({
        cohort: r.cohort,
        period: r.period,
        period_number: String(r.period_number),
        cohort_size: String(r.cohort_size),
        active_users: String(r.active_users),
        "retention (ratio)": String(r.retention),
        complete: String(r.complete),
      })),
    );
    expect(await page.$$eval("#retention .numbers tbody tr", (trs) => trs.length)).toBe(rows.length);
    // Some cells are incomplete: the card says how the heat map marks them.
    expect(await page.isVisible("#retention .incomplete-note")).toBe(true);
    const url = `${sandbox.url}/v0/pipes/retention.json?${RANGE_QUERY}`;
    expect(await page.textContent("#retention .source .url")).toBe(url);
    expect(await page.textContent("#retention .source .curl")).toBe(
      `curl -H "Authorization: Bearer $TINYBIRD_READ_TOKEN" '${url}'`,
    );
    await page.close();
  });

  it("by keyboard alone: Tab reaches the cells, arrows move with the numbers shown, Enter lists exactly the cell's users", async () => {
    const page = await open(RANGE_QUERY);
    const grid = retentionGrid(
      await endpoint("retention", { start_date: RANGE.start, end_date: RANGE.end, granularity: "week" }),
    );
    for (let presses = 0; presses < 100 && (await focused(page))?.cohort == null; presses++) {
      await page.keyboard.press("Tab");
    }
    expect(await focused(page)).toMatchObject({ tag: "TD", cohort: grid.cohorts[0]!.cohort, n: "0" });
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowDown");
    const passed = grid.cohorts[1]!.cells[1]!;
    expect(await focused(page)).toMatchObject({ cohort: passed.cohort, n: "1" });
    expect(await page.textContent("#retention .retention-detail")).toBe(cellSummary(passed, "week"));
    // Week 0: the whole cohort, more users than a page.
    await page.keyboard.press("ArrowLeft");
    const cell = grid.cohorts[1]!.cells[0]!;
    expect(await page.textContent("#retention .retention-detail")).toBe(cellSummary(cell, "week"));
    // One tab stop: Tab leaves the grid.
    await page.keyboard.press("Tab");
    expect((await focused(page))?.cohort).toBeNull();
    await page.keyboard.press("Shift+Tab");
    expect(await focused(page)).toMatchObject({ cohort: cell.cohort, n: "0" });

    await usersAfter(page, () => page.keyboard.press("Enter"));
    expect(await focused(page)).toMatchObject({ id: "users-title" });
    expect(await page.textContent("#users .chip")).toContain(filterLabel(cell.filter));
    const expected = await usersOf(cell.filter as Record<string, string>);
    expect(cell.activeUsers).toBeGreaterThan(25);
    const ids = await everyPage(page);
    expect(ids).toEqual(expected);
    expect(ids.length).toBe(cell.activeUsers);
    const url = new URL(page.url());
    expect(url.hash).toBe("#users");
    expect(url.searchParams.get("users_active_from")).toBe(cell.filter.active_from);
    expect(url.searchParams.get("start_date")).toBe(RANGE.start);
    await page.close();
  });
});

describe("the users section", () => {
  it("pages by keyset (page 2 continues page 1), searches and sorts as the users endpoint does, by keyboard too", async () => {
    const page = await open(RANGE_QUERY);
    const newest = await usersOf({ limit: "50" });
    expect(await listed(page)).toEqual(newest.slice(0, 25));
    expect(await page.isDisabled('#users [data-page="first"]')).toBe(true);
    await usersAfter(page, () => page.click('#users [data-page="next"]'));
    const second = await listed(page);
    expect(second).toEqual(newest.slice(25, 50));
    expect(await page.textContent("#users .page-info")).toBe("Users 26–50");
    await usersAfter(page, () => page.click('#users [data-page="previous"]'));
    expect(await listed(page)).toEqual(newest.slice(0, 25));

    // Keyboard: a part of a user id typed into the search, Enter; then the sort and order changed by arrows.
    const part = newest[30]!.slice(-5);
    await page.focus('#users input[type="search"]');
    await page.keyboard.type(part);
    await usersAfter(page, () => page.keyboard.press("Enter"));
    const found = await usersOf({ search: part });
    expect(found).toContain(newest[30]);
    expect(await listed(page)).toEqual(found.slice(0, 25));
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement.name")).toBe("sort");
    await usersAfter(page, () => page.keyboard.press("ArrowDown"));
    await page.keyboard.press("Tab");
    await usersAfter(page, () => page.keyboard.press("ArrowDown"));
    expect(await page.inputValue('#users select[name="sort"]')).toBe("last_sign_in_at");
    expect(await page.inputValue('#users select[name="order"]')).toBe("asc");
    expect(await listed(page)).toEqual(
      (await usersOf({ search: part, sort: "last_sign_in_at", order: "asc" })).slice(0, 25),
    );

    // By last sign-in, oldest first, 100 a page: page 2 continues page 1 (the cursor carries the
    // sign-in time; the endpoint's own tests walk every sort to its end against the oracle).
    await usersAfter(page, async () => {
      await page.fill('#users input[type="search"]', "");
      await page.press('#users input[type="search"]', "Enter");
    });
    await usersAfter(page, () => page.selectOption('#users select[name="limit"]', "100"));
    const bySignIn = await usersOf({ sort: "last_sign_in_at", order: "asc", limit: "200" });
    expect(await listed(page)).toEqual(bySignIn.slice(0, 100));
    await usersAfter(page, () => page.click('#users [data-page="next"]'));
    expect(await listed(page)).toEqual(bySignIn.slice(100, 200));
    expect(new Set(bySignIn).size).toBe(200);
    await page.close();
  });

  it("lists who churned in a churn period, keeps the filter in the URL across a reload, and drops it with its chip", async () => {
    const page = await open(RANGE_QUERY);
    const churn = await endpoint("churn", {
      start_date: RANGE.start,
      end_date: RANGE.end,
      granularity: "week",
    });
    const periods = churn.filter((r) => r.users_deleted + r.users_inactive > 0).reverse();
    const options = await page.$$eval(
      '[data-endpoint="churn"] .drill select[name="churned-period"] option',
      (os) => os.map((o) => o.getAttribute("value")),
    );
    expect(options).toEqual(periods.map((r) => r.period));
    const period = periods.find((r) => r.users_deleted > 0 && r.users_inactive > 0)!;
    const days = periodDays(period.period, "week", RANGE);
    const filter: UsersFilter = { churned_from: days.from, churned_to: days.to };
    await page.selectOption('[data-endpoint="churn"] select[name="churned-period"]', period.period);
    await usersAfter(page, () => page.click('[data-endpoint="churn"] .drill button'));
    const ids = await everyPage(page);
    expect(ids).toEqual(await usersOf(filter as Record<string, string>));
    expect(ids.length).toBe(period.users_deleted + period.users_inactive);

    await page.selectOption('[data-endpoint="churn"] select[name="churn-reason"]', "deleted");
    await usersAfter(page, () => page.click('[data-endpoint="churn"] .drill button'));
    const deleted = await everyPage(page);
    expect(deleted).toEqual(await usersOf({ ...filter, churn_reason: "deleted" } as Record<string, string>));
    expect(deleted.length).toBe(period.users_deleted);
    const label = filterLabel({ ...filter, churn_reason: "deleted" });
    // The page's own URL writes (a granularity change) keep the section's parameters and #users.
    await page.selectOption("#granularity", "month");
    await page.waitForSelector('body[data-loaded="true"]');
    const written = new URL(page.url());
    expect(written.searchParams.get("granularity")).toBe("month");
    expect(written.searchParams.get("users_churned_from")).toBe(days.from);
    expect(written.searchParams.get("users_churn_reason")).toBe("deleted");
    expect(written.hash).toBe("#users");

    await page.reload();
    await page.waitForSelector('body[data-loaded="true"]');
    expect(await page.textContent("#users .chip")).toContain(label);
    expect(await listed(page)).toEqual(deleted.slice(0, 25));

    await usersAfter(page, () => page.click("#users .chip button"));
    expect(await page.$("#users .chip")).toBeNull();
    expect(await listed(page)).toEqual((await usersOf({ limit: "25" })).slice(0, 25));
    expect(new URL(page.url()).searchParams.get("users_churned_from")).toBeNull();
    await page.close();
  });

  it("shows a bad filter in the URL as the endpoint's error in place; the rest of the page works", async () => {
    const page = await open(`${RANGE_QUERY}&users_created_from=garbage`);
    expect(await page.getAttribute("#users .card", "data-state")).toBe("error");
    expect(await page.textContent('#users [role="alert"]')).toContain("created_from");
    expect(await page.textContent("#users .chip")).toContain("garbage");
    expect(await page.isDisabled("#users button.csv")).toBe(true);
    expect(await page.isDisabled("#users button.all-csv")).toBe(true);
    expect(await page.isHidden("#users .users-table")).toBe(true);
    // The call that failed, to try from a shell.
    expect(await page.textContent("#users .source .url")).toContain("created_from=garbage");
    expect(await page.getAttribute("#retention .card", "data-state")).toBe("data");
    expect(await page.getAttribute('[data-endpoint="user_growth"]', "data-state")).toBe("data");
    // Removing the filter brings the list back.
    await usersAfter(page, () => page.click("#users .chip button"));
    expect(await page.getAttribute("#users .card", "data-state")).toBe("data");
    // Retention and Users are sections of the page: the navigation names them and section= reaches them.
    for (const section of ["retention", "users"]) {
      await page.goto(`${sandbox.url}/?${RANGE_QUERY}&section=${section}`);
      await page.waitForSelector('body[data-loaded="true"]');
      expect(await page.textContent("#range-error"), section).toBe("");
      expect(await page.getAttribute(`#sections a[data-section="${section}"]`, "aria-current")).toBe("true");
    }
    await page.close();
  });
});

/** A users row as the card's CSV holds it: the endpoint's raw values, a list as its JSON. */
const csvRow = (r: Row) => ({
  user_id: r.user_id,
  "created_at (UTC)": r.created_at ?? "",
  "deleted_at (UTC)": r.deleted_at ?? "",
  "last_sign_in_at (UTC)": r.last_sign_in_at ?? "",
  "last_active_at (UTC)": r.last_active_at ?? "",
  days_active: String(r.days_active),
  email_domain: r.email_domain ?? "",
  organizations: JSON.stringify(r.organizations),
});

/** Waits until the page shows `url` (after back or forward) and everything that navigation loads. */
const settledAt = (page: Page, url: string) =>
  page.waitForFunction((at) => {
    // Runs in the page (the test's own types have no DOM): the URL and the mark read in one go.
    const { location, document } = globalThis as unknown as {
      location: { href: string };
      document: { body: { dataset: Record<string, string> } };
    };
    return location.href === at && document.body.dataset.loaded === "true";
  }, url);

describe("the users list as a card", () => {
  it("downloads exactly the rows shown (the endpoint's JSON for the call, whose URL and curl line it gives) and every matching user", async () => {
    const page = await open(RANGE_QUERY);
    await usersAfter(page, () => page.click('#users [data-page="next"]'));
    const url = (await page.textContent("#users .source .url"))!;
    expect(url.startsWith(`${sandbox.url}/v0/pipes/users.json?`)).toBe(true);
    expect(await page.textContent("#users .source .curl")).toBe(
      `curl -H "Authorization: Bearer $TINYBIRD_READ_TOKEN" '${url}'`,
    );
    // The URL is the second page's call: its page's rows and one more (is there a next page?).
    const called = new URL(url).searchParams;
    expect(called.get("limit")).toBe("26");
    expect(called.get("after_user_id")).not.toBeNull();
    const answer = await fetch(url, { headers: { authorization: `Bearer ${sandbox.storeToken}` } });
    const rows = ((await answer.json()) as { data: Row[] }).data;
    const file = await downloadCsv(page, "users");
    expect(file.name).toBe("users_page_2.csv");
    expect(file.columns).toEqual(Object.keys(csvRow(rows[0]!)));
    expect(file.rows).toEqual(rows.slice(0, 25).map(csvRow));
    expect(file.rows.map((r) => r.user_id)).toEqual(await listed(page));

    // Every matching user, fetched page by page through the relay: the endpoint's whole answer.
    const everyone = await endpoint("users", { sort: "created_at", order: "desc", limit: "100000" });
    expect(everyone.length).toBeGreaterThan(400);
    // Some in several organizations: a list in one CSV field.
    expect(everyone.some((r) => r.organizations.length > 1)).toBe(true);
    const pages: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/panels/users.json")) pages.push(request.url());
    });
    const all = await downloadCsv(page, "users", "button.all-csv");
    expect(all.name).toBe("users_all_matching.csv");
    expect(all.rows).toEqual(everyone.map(csvRow));
    expect(pages.length).toBe(Math.floor(everyone.length / 200) + 1);
    expect(await page.textContent("#users .all-status")).toBe(
      `Downloaded all ${everyone.length.toLocaleString("en-US")} matching users.`,
    );
    await page.close();
  });

  it("is in exactly one of the four states: loading (busy), data, empty for a search matching nothing", async () => {
    const page = await browser.context.newPage();
    const release = await holdRequests(page, "**/panels/users.json*");
    await page.goto(`${sandbox.url}/?${RANGE_QUERY}`);
    const card = "#users .card";
    await page.waitForSelector(`${card}[data-state="loading"]`);
    expect(await page.getAttribute(card, "aria-busy")).toBe("true");
    expect(await page.isDisabled(`${card} button.csv`)).toBe(true);
    expect(await page.isDisabled(`${card} button.all-csv`)).toBe(true);
    release();
    await page.waitForSelector('body[data-loaded="true"]');
    expect(await page.getAttribute(card, "data-state")).toBe("data");
    expect(await page.getAttribute(card, "aria-busy")).toBe("false");
    expect(await page.isEnabled(`${card} button.csv`)).toBe(true);

    await usersAfter(page, async () => {
      await page.fill('#users input[type="search"]', "no-such-user-anywhere");
      await page.press('#users input[type="search"]', "Enter");
    });
    expect(await page.getAttribute(card, "data-state")).toBe("empty");
    expect(await page.textContent(`${card} [role="status"]`)).toBe("No users match.");
    expect(await page.isDisabled(`${card} button.csv`)).toBe(true);
    expect(await page.isHidden(`${card} .users-table`)).toBe(true);
    // The search stays there to change (the error state: a bad filter in the URL, below).
    expect(await page.isVisible('#users input[type="search"]')).toBe(true);
    await page.close();
  });

  it("back and forward restore a search and a drill-down (list, controls, chip, #users in view), fetching only what changed", async () => {
    const page = await open(RANGE_QUERY);
    const requests: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/panels/")) requests.push(new URL(request.url()).pathname);
    });
    const start = page.url();
    const newest = await usersOf({ limit: "25" });
    const part = newest[3]!.slice(-4);
    await usersAfter(page, async () => {
      await page.fill('#users input[type="search"]', part);
      await page.press('#users input[type="search"]', "Enter");
    });
    const searched = page.url();
    expect(new URL(searched).searchParams.get("users_search")).toBe(part);
    const found = (await usersOf({ search: part })).slice(0, 25);
    expect(await listed(page)).toEqual(found);

    const cell = retentionGrid(
      await endpoint("retention", { start_date: RANGE.start, end_date: RANGE.end, granularity: "week" }),
    ).cohorts[1]!.cells[2]!;
    await usersAfter(page, () =>
      page.click(`#retention td[data-cohort="${cell.cohort}"][data-period-number="2"]`),
    );
    const drilled = page.url();
    expect(new URL(drilled).hash).toBe("#users");
    const cellUsers = (await usersOf(cell.filter as Record<string, string>)).slice(0, 25);
    expect(await listed(page)).toEqual(cellUsers);

    const shows = async (ids: string[], search: string, chip: string | null) => {
      expect(await listed(page)).toEqual(ids);
      expect(await page.inputValue('#users input[type="search"]')).toBe(search);
      expect(await page.$("#users .chip").then((c) => c?.textContent() ?? null)).toBe(chip);
      expect(await page.getAttribute("#users .card", "data-state")).toBe("data");
    };
    const chip = `${filterLabel(cell.filter)}×`;
    requests.length = 0;
    await page.goBack();
    await settledAt(page, searched);
    await shows(found, part, null);
    // One navigation, one call: the users list's (the range did not change).
    expect(requests).toEqual(["/panels/users.json"]);
    await page.goBack();
    await settledAt(page, start);
    await shows(newest, "", null);
    await page.goForward();
    await settledAt(page, searched);
    await page.goForward();
    await settledAt(page, drilled);
    await shows(cellUsers, "", chip);
    expect(requests).toEqual(Array(4).fill("/panels/users.json"));
    const top = await page.evaluate("document.getElementById('users').getBoundingClientRect().top");
    expect(Math.abs(top as number)).toBeLessThan(2);

    // A range change and back: every card again, the users list not (its parameters are the same).
    requests.length = 0;
    await page.selectOption("#granularity", "month");
    await page.waitForSelector('body[data-loaded="true"]');
    const cards = requests.length;
    expect(cards).toBe(PANELS.length - 1);
    await page.goBack();
    await settledAt(page, drilled);
    expect(await page.inputValue("#granularity")).toBe("week");
    expect(requests.length).toBe(2 * cards);
    expect(requests).not.toContain("/panels/users.json");
    await shows(cellUsers, "", chip);
    await page.close();
  });
});

describe("through npm run dashboard's proxy (a deployed workspace)", () => {
  it("lists a cell's users, its CSVs and curl line with the read token in no request, answer, page, URL, file or log line", async () => {
    const TOKEN = "p.eyJ1IjogInVzZXJzLXJlYWQtdG9rZW4tbm90LWluLXRoZS1wYWdlIn0";
    const world = await workspaceOverSandbox(sandbox, TOKEN);
    onTestFinished(() => world.close());
    const page = await browser.context.newPage();
    const seen: string[] = [];
    page.on("request", (request) => seen.push(request.url(), JSON.stringify(request.headers())));
    page.on("response", async (response) => seen.push(await response.text().catch(() => "")));
    await page.goto(`${world.proxy.url}/?${RANGE_QUERY}`);
    await page.waitForSelector('body[data-loaded="true"]');
    const cell = retentionGrid(
      await endpoint("retention", { start_date: RANGE.start, end_date: RANGE.end, granularity: "week" }),
    ).cohorts[0]!.cells[1]!;
    await usersAfter(page, () =>
      page.click(`#retention td[data-cohort="${cell.cohort}"][data-period-number="1"]`),
    );
    expect(await everyPage(page)).toEqual(await usersOf(cell.filter as Record<string, string>));
    // The card's CSV, every matching user's, its endpoint URL and curl line: the host and a placeholder.
    const curl = (await page.textContent("#users .source .curl"))!;
    expect(curl).toContain(`'${world.tinybird.url}/v0/pipes/users.json?`);
    seen.push(curl, (await downloadCsv(page, "users")).text);
    seen.push((await downloadCsv(page, "users", "button.all-csv")).text);
    seen.push(await page.content(), page.url());
    expect(seen.some((text) => text.includes("users.json?"))).toBe(true);
    expect(seen.filter((text) => text.includes(TOKEN))).toEqual([]);
    expect(world.logs.some((line) => line.startsWith("users 200"))).toBe(true);
    expect(world.logs.filter((line) => line.includes(TOKEN))).toEqual([]);
    await page.close();
  });
});
