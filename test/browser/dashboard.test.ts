/**
 * The dashboard in Debian's headless Chromium, against npm start's pipeline (synthetic history) and
 * against npm run dashboard's proxy: numbers on screen are the endpoints' numbers, errors show as
 * errors, changing the range refetches, and the read token appears nowhere the browser can see.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DashboardProxy } from "../../dashboard/proxy-server";
import { type Chromium, launchChromium } from "../../dashboard-app/chromium";
import { PANELS, type Panel, panelId, panelQuery, type Range } from "../../dashboard-app/panels";
import { lastDays } from "../../dashboard-app/url-state";
import { downloadCsv } from "../support/csv-download";
import type { DashboardWorld } from "../support/dashboard-world";
import { holdRequests } from "../support/held-route";
import { sharedSandbox, workspaceOverSandbox } from "./seeded-sandbox";

const RANGE: Range = { start: "2025-01-06", end: "2025-03-30", granularity: "week" };
/** Ending the sandbox's today: its last period is not over. */
const PARTIAL: Range = { ...RANGE, end: "2025-03-31" };
const CARD_STATES = ["loading", "empty", "error", "data"];
const sandbox = sharedSandbox();
let browser: Chromium;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

const loaded = (page: Page) => page.waitForSelector('body[data-loaded="true"]');

/** The page over a range; `requests` collects the URLs it asked for. */
async function open(base: string, range: Range, requests?: string[]): Promise<Page> {
  const page = await browser.context.newPage();
  if (requests) page.on("request", (request) => requests.push(request.url()));
  await page.goto(
    `${base}/?start_date=${range.start}&end_date=${range.end}&granularity=${range.granularity}`,
  );
  await loaded(page);
  return page;
}

/** Every card's state. */
const statesOf = (page: Page) =>
  page.$$eval(".card", (cards) =>
    cards.map((card) => [card.getAttribute("data-endpoint"), card.getAttribute("data-state")]),
  );

async function endpointRows(base: string, endpoint: string, range: Range, panel?: Panel) {
  panel ??= PANELS.find((p) => p.endpoint === endpoint)!;
  const body = (await (
    await fetch(`${base}/v0/pipes/${endpoint}.json?${panelQuery(panel, range)}`, {
      headers: { authorization: `Bearer ${sandbox.storeToken}` },
    })
  ).json()) as {
    data: Record<string, unknown>[];
  };
  return body.data;
}

/** The table under a card, as column -> text per row. */
async function tableOf(page: Page, endpoint: string) {
  return page.$$eval(`[data-endpoint="${endpoint}"] tbody tr`, (rows) =>
    rows.map((tr) =>
      Object.fromEntries([...tr.querySelectorAll("td")].map((td) => [td.dataset.column!, td.textContent])),
    ),
  );
}

/** A table cell as the page must show it: ratios as percents, `complete` in words, counts as they are. */
function cellOf(panel: Panel, row: Record<string, unknown>, column: string): string {
  if (column === "complete") return row.complete === false ? "no, so far" : "yes";
  if (panel.series.find((s) => s.key === column)?.percent)
    return `${(Number(row[column]) * 100).toFixed(1)}%`;
  return String(row[column]);
}

const chartIncomplete = (page: Page, endpoint: string) =>
  page.$eval(
    `[data-endpoint="${endpoint}"] canvas`,
    (canvas) => JSON.parse(canvas.getAttribute("data-incomplete") ?? "null") as boolean[],
  );

async function chartOf(page: Page, endpoint: string) {
  return page.$eval(`[data-endpoint="${endpoint}"] canvas`, (canvas) => ({
    labels: JSON.parse(canvas.getAttribute("data-labels") ?? "null") as string[],
    series: JSON.parse(canvas.getAttribute("data-series") ?? "null") as { label: string; data: number[] }[],
    width: canvas.width,
  }));
}

describe("the dashboard on npm start", () => {
  it("draws every endpoint's numbers in its chart and its table", async () => {
    const page = await open(sandbox.url, RANGE);
    for (const panel of PANELS.filter((p) => p.section === undefined)) {
      const rows = await endpointRows(sandbox.url, panel.endpoint, RANGE);
      expect(rows.length, panel.endpoint).toBeGreaterThan(0);
      expect(await page.getAttribute(`[data-endpoint="${panel.endpoint}"]`, "data-state")).toBe("data");
      const chart = await chartOf(page, panel.endpoint);
      expect(chart.width).toBeGreaterThan(0);
      expect(chart.series.map((s) => s.label)).toEqual(panel.series.map((s) => s.label));
      panel.series.forEach((series, i) => {
        expect(chart.series[i]!.data, `${panel.endpoint}.${series.key}`).toEqual(
          rows.map((r) => Number(r[series.key])),
        );
      });
      expect(
        chart.series.some((s) => s.data.some((v) => v > 0)),
        panel.endpoint,
      ).toBe(true);
      // Every period of this range is over: nothing drawn apart.
      expect(await chartIncomplete(page, panel.endpoint), panel.endpoint).toEqual(rows.map(() => false));
      expect(await page.isHidden(`[data-endpoint="${panel.endpoint}"] .incomplete-note`)).toBe(true);
      const table = await tableOf(page, panel.endpoint);
      expect(table.length).toBe(rows.length);
      table.forEach((cells, i) => {
        for (const [column, text] of Object.entries(cells))
          expect(text).toBe(cellOf(panel, rows[i]!, column));
      });
    }
    await page.close();
  });

  it("shows a Billing section: MRR and its movements, plans, trials and payments in the chosen currency", async () => {
    const page = await open(sandbox.url, RANGE);
    expect(await page.isVisible("#billing")).toBe(true);
    const panel = (id: string) => PANELS.find((p) => panelId(p) === id)!;
    const totals = await endpointRows(sandbox.url, "billing_subscriptions", RANGE);
    const lastPeriod = String(totals.at(-1)!.period);
    const byMrr = (c: string) => Number(totals.find((r) => r.period === lastPeriod && r.currency === c)!.mrr);
    expect(new Set(totals.map((r) => r.currency))).toEqual(new Set(["EUR", "USD"]));
    const biggest = byMrr("USD") >= byMrr("EUR") ? "USD" : "EUR";
    expect(await page.inputValue("#currency")).toBe(biggest);

    // Amounts arrive in cents and are drawn in the currency's units; MRR lost is drawn below the axis.
    const expectMrr = async (currency: string) => {
      const rows = totals.filter((r) => r.currency === currency);
      const chart = await chartOf(page, "billing_subscriptions");
      const series = (label: string) => chart.series.find((s) => s.label === label)!.data;
      expect(chart.labels).toEqual(rows.map((r) => r.period));
      expect(series("MRR")).toEqual(rows.map((r) => Number(r.mrr) / 100));
      expect(series("New")).toEqual(rows.map((r) => Number(r.new_mrr) / 100));
      expect(series("Churn")).toEqual(rows.map((r) => -Number(r.churned_mrr) / 100 || 0));
      expect(series("MRR").some((v) => v > 0)).toBe(true);
    };
    await expectMrr(biggest);

    const plans = (
      await endpointRows(sandbox.url, "billing_subscriptions", RANGE, panel("billing_plans"))
    ).filter(
      (r) =>
        r.currency === biggest &&
        r.period === RANGE.end &&
        Number(r.paid_items) + Number(r.trialing_items) > 0,
    );
    const planChart = await chartOf(page, "billing_plans");
    expect(planChart.labels).toEqual(plans.map((r) => `${r.plan_name}: ${r.billing_interval}`));
    expect(planChart.series[0]!.data).toEqual(plans.map((r) => Number(r.paid_items)));

    const trials = await endpointRows(sandbox.url, "billing_trials", RANGE);
    const trialChart = await chartOf(page, "billing_trials");
    expect(trialChart.series.find((s) => s.label === "Conversion")!.data).toEqual(
      trials.map((r) => Number(r.conversion_rate)),
    );
    const payments = (await endpointRows(sandbox.url, "billing_payments", RANGE)).filter(
      (r) => r.currency === biggest,
    );
    expect((await chartOf(page, "billing_payments")).series.find((s) => s.label === "Failed")!.data).toEqual(
      payments.map((r) => Number(r.failed)),
    );
    expect(payments.reduce((sum, r) => sum + Number(r.failed), 0)).toBeGreaterThan(0);

    // The other currency, from the rows already fetched.
    const other = biggest === "USD" ? "EUR" : "USD";
    const requests: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    await page.selectOption("#currency", other);
    await expectMrr(other);
    expect(requests).toEqual([]);
    expect(panel("billing_subscriptions").perCurrency).toBe(true);
    await page.close();
  });

  it("shows an endpoint's error as an error, not as zeros", async () => {
    const page = await browser.context.newPage();
    await page.route("**/panels/churn.json*", (route) =>
      route.fulfill({
        status: 400,
        contentType: "application/json",
        body: '{"error":"inactive_days must be at least 1"}',
      }),
    );
    await page.goto(`${sandbox.url}/?start_date=${RANGE.start}&end_date=${RANGE.end}&granularity=week`);
    await page.waitForSelector('body[data-loaded="true"]');
    const card = '[data-endpoint="churn"]';
    expect(await page.getAttribute(card, "data-state")).toBe("error");
    expect(await page.textContent(`${card} [role="alert"]`)).toContain("inactive_days must be at least 1");
    expect(await page.$$(`${card} tbody tr`)).toEqual([]);
    expect(await page.getAttribute(`${card} canvas`, "data-series")).toBeNull();
    expect(await page.getAttribute('[data-endpoint="user_growth"]', "data-state")).toBe("data");
    await page.close();
  });

  it("refetches when the range or the granularity changes", async () => {
    const page = await open(sandbox.url, RANGE);
    const requested: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/panels/")) requested.push(request.url());
    });
    await page.selectOption("#granularity", "month");
    await page.waitForSelector('body[data-loaded="true"]');
    expect(requested.filter((u) => u.includes("granularity=month")).length).toBe(
      PANELS.filter((p) => p.params.includes("granularity")).length,
    );
    const monthly = { ...RANGE, granularity: "month" as const };
    expect((await chartOf(page, "user_growth")).labels).toEqual(
      (await endpointRows(sandbox.url, "user_growth", monthly)).map((r) => r.period),
    );

    requested.length = 0;
    // fill() fires the date input's change event, as picking a date does.
    await page.fill("#start", "2025-03-01");
    await page.waitForSelector('body[data-loaded="true"]');
    // Every panel over the range (not the users list, which has none).
    expect(requested.length).toBe(PANELS.filter((p) => p.params.includes("start_date")).length);
    expect(requested.every((u) => u.includes("start_date=2025-03-01"))).toBe(true);
    await page.close();
  });

  it("says so when the range has no events", async () => {
    const page = await open(sandbox.url, { start: "2020-01-01", end: "2020-01-31", granularity: "week" });
    expect(await page.getAttribute('[data-endpoint="user_growth"]', "data-state")).toBe("empty");
    expect(await page.textContent('[data-endpoint="user_growth"] .state')).toContain("No events");
    // No billing event stored for the range: no Billing section at all.
    expect(await page.isHidden("#billing")).toBe(true);
    await page.close();
  });

  it("fits a phone's width", async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${sandbox.url}/?start_date=${RANGE.start}&end_date=${RANGE.end}&granularity=week`);
    await page.waitForSelector('body[data-loaded="true"]');
    // Runs in the page (the test's own types have no DOM).
    const widths = (await page.evaluate(`({
      page: document.documentElement.scrollWidth,
      cards: [...document.querySelectorAll(".card")].map((c) => c.getBoundingClientRect().right),
    })`)) as { page: number; cards: number[] };
    expect(widths.page).toBeLessThanOrEqual(390);
    expect(Math.max(...widths.cards)).toBeLessThanOrEqual(390);
    await page.close();
  });

  it("shows the headline figures of one call, their change and the previous period, and a period not over as incomplete", async () => {
    const requests: string[] = [];
    const page = await open(sandbox.url, PARTIAL, requests);
    expect(requests.filter((u) => u.includes("/panels/headline.json"))).toHaveLength(1);
    const headline = await endpointRows(sandbox.url, "headline", PARTIAL);
    expect(headline.length).toBeGreaterThan(5);
    const tiles = await page.$$eval(".tile", (items) =>
      items.map((tile) => ({
        figure: tile.getAttribute("data-figure"),
        complete: tile.getAttribute("data-complete"),
        value: tile.querySelector(".value")!.textContent,
        change: tile.querySelector(".change")!.textContent!,
        text: tile.textContent!,
        title: tile.getAttribute("title")!,
      })),
    );
    expect(tiles.map((t) => t.figure)).toEqual(headline.map((r) => r.figure));
    headline.forEach((row, i) => {
      const tile = tiles[i]!;
      const value = Number(row.value);
      const shown =
        row.unit === "ratio"
          ? `${(value * 100).toFixed(1)}%`
          : value.toLocaleString("en-US", { maximumFractionDigits: row.unit === "users_per_day" ? 1 : 0 });
      expect(tile.value, String(row.figure)).toBe(shown);
      const change = Number(row.change);
      expect(tile.change.slice(0, 3)).toBe(change > 0 ? "▲ +" : change < 0 ? "▼ −" : "▬ ±");
      expect(tile.title).toContain(`${row.previous_start_date} to ${row.previous_end_date}`);
      // The range holds the sandbox's today: every figure is so far.
      expect(row.complete).toBe(false);
      expect(tile.complete).toBe("false");
      expect(tile.text).toContain("so far");
    });
    expect(tiles.find((t) => t.figure === "stickiness")?.change).toMatch(/ pp$/);

    // The period holding today is drawn apart, in the chart, its data and the table.
    for (const endpoint of ["user_growth", "active_users", "churn"]) {
      const rows = await endpointRows(sandbox.url, endpoint, PARTIAL);
      expect(rows.at(-1)!.complete, endpoint).toBe(false);
      expect(
        rows.slice(0, -1).every((r) => r.complete === true),
        endpoint,
      ).toBe(true);
      expect(await chartIncomplete(page, endpoint)).toEqual(rows.map((r) => r.complete === false));
      const card = `[data-endpoint="${endpoint}"]`;
      expect(await page.isVisible(`${card} .incomplete-note`)).toBe(true);
      expect(
        await page.$$eval(`${card} tbody tr`, (trs) => trs.map((tr) => tr.getAttribute("data-complete"))),
      ).toEqual(rows.map((r) => (r.complete === false ? "false" : null)));
      expect(await page.getAttribute(`${card} canvas`, "aria-label")).toContain("incomplete");
    }
    await page.close();
  });

  it("keeps range, granularity, section and currency in the URL: changes, back and reload restore them", async () => {
    const page = await browser.context.newPage();
    await page.goto(
      `${sandbox.url}/?start_date=2025-02-03&end_date=${RANGE.end}&granularity=week&currency=EUR`,
    );
    await loaded(page);
    expect([await page.inputValue("#start"), await page.inputValue("#end")]).toEqual([
      "2025-02-03",
      RANGE.end,
    ]);
    expect(await page.inputValue("#currency")).toBe("EUR");
    const param = (name: string) => new URL(page.url()).searchParams.get(name);

    await page.selectOption("#granularity", "month");
    await loaded(page);
    expect([param("start_date"), param("granularity"), param("currency")]).toEqual([
      "2025-02-03",
      "month",
      "EUR",
    ]);
    await page.goBack();
    // The controls show the URL's view (set in the same task as the refetch starts), then it loads.
    await page.waitForSelector('#granularity option[value="week"]:checked', { state: "attached" });
    await loaded(page);
    expect(param("granularity")).toBe("week");
    expect((await chartOf(page, "user_growth")).labels[0]).toBe("2025-02-03");

    // The section from the navigation, the currency and the dates from their controls.
    await page.click('#sections a[data-section="billing"]');
    expect(param("section")).toBe("billing");
    await page.selectOption("#currency", "USD");
    expect(param("currency")).toBe("USD");
    await page.fill("#start", "2025-02-10");
    await loaded(page);
    expect([param("start_date"), param("end_date"), param("days")]).toEqual(["2025-02-10", RANGE.end, null]);
    await page.reload();
    await loaded(page);
    expect(await page.inputValue("#start")).toBe("2025-02-10");
    expect(await page.inputValue("#currency")).toBe("USD");
    expect(await page.getAttribute('#sections a[data-section="billing"]', "aria-current")).toBe("true");

    // "The last N days" stays relative in a link.
    await page.click('[data-days="30"]');
    await loaded(page);
    expect([param("days"), param("start_date")]).toEqual(["30", null]);
    const recent = lastDays(new Date(), 30);
    expect([await page.inputValue("#start"), await page.inputValue("#end")]).toEqual([
      recent.start,
      recent.end,
    ]);
    expect(await page.getAttribute('[data-days="30"]', "aria-pressed")).toBe("true");
    await page.close();
  });

  it("says a bad parameter in place, naming it, and every card still loads with the default", async () => {
    const page = await browser.context.newPage();
    for (const [query, named] of [
      ["days=abc&granularity=week", /days="abc"/],
      [`start_date=garbage&end_date=${RANGE.end}`, /start_date="garbage"/],
      ["start_date=2025-03-10&end_date=2025-03-01", /start_date=2025-03-10 is after end_date=2025-03-01/],
    ] as const) {
      await page.goto(`${sandbox.url}/?${query}`);
      await loaded(page);
      expect(await page.textContent("#range-error"), query).toMatch(named);
      const states = await statesOf(page);
      expect(states.length).toBe(PANELS.length);
      expect(
        states.filter(([, state]) => state !== "data" && state !== "empty"),
        query,
      ).toEqual([]);
      if (query.startsWith("start_date=garbage")) {
        // start_date left out: the 90 days ending end_date.
        expect(await page.inputValue("#start")).toBe("2024-12-31");
        expect(await page.getAttribute('[data-endpoint="user_growth"]', "data-state")).toBe("data");
      }
    }
    await page.close();
  });

  it("keeps each card in exactly one state, busy while loading, and counts on integer axes", async () => {
    const page = await browser.context.newPage();
    const release = await holdRequests(page, "**/panels/user_growth.json*");
    // One event in the range: the axis counts 0, 1, not 0.1 … 1.0.
    await page.route("**/panels/churn.json*", (route) =>
      route.fulfill({
        status: 200,
        contentType: "application/json",
        body: JSON.stringify({
          data: [{ period: "2025-03-24", users_deleted: 1, users_inactive: 0, complete: true }],
        }),
      }),
    );
    await page.goto(`${sandbox.url}/?start_date=${RANGE.start}&end_date=${RANGE.end}&granularity=week`);
    await page.waitForSelector('[data-endpoint="churn"][data-state="data"]');
    const growth = '[data-endpoint="user_growth"]';
    expect(await page.getAttribute(growth, "data-state")).toBe("loading");
    expect(await page.getAttribute(growth, "aria-busy")).toBe("true");
    expect(await page.textContent(`${growth} [role="status"]`)).toBe("Loading…");
    expect(await page.isDisabled(`${growth} button.csv`)).toBe(true);
    release();
    await loaded(page);
    expect(await page.getAttribute(growth, "aria-busy")).toBe("false");
    for (const [endpoint, state] of await statesOf(page))
      expect(CARD_STATES, String(endpoint)).toContain(state);
    const ticks = (await page.getAttribute('[data-endpoint="churn"] canvas', "data-ticks"))!;
    expect(JSON.parse(ticks).y).toEqual([0, 1]);
    await page.close();
  });

  it("downloads each card's numbers as CSV, exactly the rows drawn, and gives its endpoint URL and curl line", async () => {
    const page = await open(sandbox.url, PARTIAL);
    const active = await endpointRows(sandbox.url, "active_users", PARTIAL);
    const file = await downloadCsv(page, "active_users");
    expect(file.name).toBe(`active_users_${PARTIAL.start}_${PARTIAL.end}.csv`);
    expect(file.columns).toEqual(["day", "dau", "wau", "mau", "stickiness (ratio)", "complete"]);
    expect(file.rows).toEqual(
      active.map((r) => ({
        day: r.day,
        dau: String(r.dau),
        wau: String(r.wau),
        mau: String(r.mau),
        "stickiness (ratio)": String(r.stickiness),
        complete: String(r.complete),
      })),
    );
    // A per-currency card: the chosen currency's rows, amounts raw and the header saying so.
    const currency = await page.inputValue("#currency");
    const mrr = (await endpointRows(sandbox.url, "billing_subscriptions", PARTIAL)).filter(
      (r) => r.currency === currency,
    );
    const mrrFile = await downloadCsv(page, "billing_subscriptions");
    expect(mrrFile.name).toBe(`billing_subscriptions_${PARTIAL.start}_${PARTIAL.end}_${currency}.csv`);
    expect(mrrFile.rows.map((r) => r[`mrr (${currency} minor units)`])).toEqual(
      mrr.map((r) => String(r.mrr)),
    );

    const url = `${sandbox.url}/v0/pipes/active_users.json?start_date=${PARTIAL.start}&end_date=${PARTIAL.end}`;
    expect(await page.textContent('[data-endpoint="active_users"] .source .url')).toBe(url);
    expect(await page.textContent('[data-endpoint="active_users"] .source .curl')).toBe(
      `curl -H "Authorization: Bearer $TINYBIRD_READ_TOKEN" '${url}'`,
    );
    // The URL shown is the endpoint's: called with a token, it gives the rows drawn.
    const direct = await fetch(url, { headers: { authorization: `Bearer ${sandbox.storeToken}` } });
    expect(((await direct.json()) as { data: unknown[] }).data).toEqual(active);
    await page.close();
  });

  it("follows a dark system, has an icon, text for every chart, and controls the keyboard reaches with visible focus", async () => {
    const page = await browser.context.newPage();
    const failed: string[] = [];
    page.on("response", (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${sandbox.url}/?start_date=${RANGE.start}&end_date=${RANGE.end}&granularity=week`);
    await loaded(page);
    const look = (await page.evaluate(`({
      background: getComputedStyle(document.body).backgroundColor,
      series: getComputedStyle(document.documentElement).getPropertyValue("--series-1").trim(),
      icon: document.querySelector('link[rel="icon"]').href,
    })`)) as { background: string; series: string; icon: string };
    expect(look.background).toBe("rgb(15, 17, 21)");
    expect((await chartOf(page, "user_growth")).series[0]).toMatchObject({ color: look.series });
    expect(look.series).toBe("#818cf8");
    for (const icon of [look.icon, `${sandbox.url}/favicon.ico`]) {
      expect(await page.evaluate(`fetch(${JSON.stringify(icon)}).then((r) => r.status)`), icon).toBe(200);
    }
    expect(failed).toEqual([]);

    // Every chart's canvas (the users section is a table, the heat map a table of cells).
    for (const panel of PANELS.filter((p) => (p.view ?? "chart") === "chart" && p.section !== "users")) {
      const label = await page.getAttribute(`[data-endpoint="${panelId(panel)}"] canvas`, "aria-label");
      expect(label, panelId(panel)).toContain(panel.title);
    }

    // Tab from the top: the range controls, the sections and each card's tools, each with a focus ring.
    const reached: string[] = [];
    while (!reached.includes("csv") && reached.length < 40) {
      await page.keyboard.press("Tab");
      // A date field's last stop is Chrome's own calendar button (ringed by Chrome, the field not :focus).
      const focused = (await page.evaluate(`(() => {
        const el = document.activeElement;
        return { id: el.id || el.getAttribute("data-days") || el.getAttribute("data-section") || el.className || el.tagName,
          outline: el.matches(":focus") ? getComputedStyle(el).outlineStyle : "Chrome's" };
      })()`)) as { id: string; outline: string };
      reached.push(focused.id);
      expect(focused.outline, focused.id).not.toBe("none");
    }
    expect(reached).toEqual(
      expect.arrayContaining([
        "start",
        "end",
        "granularity",
        "30",
        "365",
        "overview",
        "billing",
        "SUMMARY",
        "csv",
      ]),
    );
    await page.close();
  });
});

describe("the dashboard on npm run dashboard (a deployed workspace)", () => {
  const TOKEN = "p.eyJ1IjogInJlYWQtdG9rZW4tbmV2ZXItaW4tdGhlLWJyb3dzZXIifQ";
  let world: DashboardWorld;
  let proxy: DashboardProxy;
  let logs: string[];

  beforeAll(async () => {
    world = await workspaceOverSandbox(sandbox, TOKEN);
    ({ proxy, logs } = world);
  });

  afterAll(() => world?.close());

  it("shows the workspace's numbers, and the token appears in no page, request or console line", async () => {
    const page = await browser.context.newPage();
    const seen: string[] = [];
    page.on("console", (message) => seen.push(message.text()));
    page.on("request", (request) => seen.push(request.url(), JSON.stringify(request.headers())));
    page.on("response", async (response) => {
      seen.push(JSON.stringify(response.headers()));
      seen.push(await response.text().catch(() => ""));
    });
    await page.goto(`${proxy.url}/?start_date=${RANGE.start}&end_date=${RANGE.end}&granularity=week`);
    await page.waitForSelector('body[data-loaded="true"]');
    expect(await page.getAttribute('[data-endpoint="user_growth"]', "data-state")).toBe("data");
    expect((await chartOf(page, "user_growth")).series[0]!.data).toEqual(
      (await endpointRows(sandbox.url, "user_growth", RANGE)).map((r) => Number(r.signups)),
    );
    // Each card's curl line names the workspace's host and a placeholder; its CSV holds numbers only.
    const curl = (await page.textContent('[data-endpoint="user_growth"] .source .curl'))!;
    expect(curl).toContain(`'${world.tinybird.url}/v0/pipes/user_growth.json?start_date=${RANGE.start}`);
    expect(curl).toContain("Bearer $TINYBIRD_READ_TOKEN");
    seen.push(curl, (await downloadCsv(page, "user_growth")).text);
    seen.push(await page.content(), JSON.stringify(await browser.context.cookies()));
    seen.push(
      String(
        await page.evaluate("JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })"),
      ),
    );
    expect(seen.length).toBeGreaterThan(PANELS.length);
    expect(seen.filter((text) => text.includes(TOKEN))).toEqual([]);
    expect(logs.filter((line) => line.includes(TOKEN))).toEqual([]);
    expect(logs.length).toBe(PANELS.length);
    await page.close();
  });
});
