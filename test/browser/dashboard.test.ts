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
import { type Sandbox, startSandbox } from "../../local/sandbox";
import { seed } from "../../local/seed";
import { type DashboardWorld, startDashboardWorld } from "../support/dashboard-world";

const NOW = new Date(Date.UTC(2025, 2, 31, 15));
const RANGE: Range = { start: "2025-01-06", end: "2025-03-30", granularity: "week" };
let sandbox: Sandbox;
let browser: Chromium;

beforeAll(async () => {
  sandbox = await startSandbox({ now: () => NOW });
  await seed({ url: sandbox.url, token: sandbox.storeToken, days: 120, now: NOW, seed: 3 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await sandbox?.close();
});

async function open(base: string, range: Range): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(
    `${base}/?start_date=${range.start}&end_date=${range.end}&granularity=${range.granularity}`,
  );
  await page.waitForSelector('body[data-loaded="true"]');
  return page;
}

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
      expect(await page.getAttribute(`[data-endpoint="${panel.endpoint}"]`, "data-state")).toBe("ready");
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
      const table = await tableOf(page, panel.endpoint);
      expect(table.length).toBe(rows.length);
      table.forEach((cells, i) => {
        for (const [column, text] of Object.entries(cells)) expect(text).toBe(String(rows[i]![column]));
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
    expect(await page.getAttribute('[data-endpoint="user_growth"]', "data-state")).toBe("ready");
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
});

describe("the dashboard on npm run dashboard (a deployed workspace)", () => {
  const TOKEN = "p.eyJ1IjogInJlYWQtdG9rZW4tbmV2ZXItaW4tdGhlLWJyb3dzZXIifQ";
  let world: DashboardWorld;
  let proxy: DashboardProxy;
  let logs: string[];

  beforeAll(async () => {
    // A Tinybird that insists on the token, answering from the local store.
    world = await startDashboardWorld(TOKEN, async (req) => {
      const answer = await fetch(`${sandbox.url}${req.url}`, {
        headers: { authorization: `Bearer ${sandbox.storeToken}` },
      });
      return {
        status: answer.status,
        headers: { "content-type": "application/json" },
        body: await answer.text(),
      };
    });
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
    expect(await page.getAttribute('[data-endpoint="user_growth"]', "data-state")).toBe("ready");
    expect((await chartOf(page, "user_growth")).series[0]!.data).toEqual(
      (await endpointRows(sandbox.url, "user_growth", RANGE)).map((r) => Number(r.signups)),
    );
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
