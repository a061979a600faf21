/**
 * Clerk Billing analytics on chDB: the materialized views' outputs match their rollups' schemas, and
 * billing_subscriptions, billing_trials and billing_payments give the oracle's figures — for a generated
 * history, and for a hand-written one (an upgrade mid-period, annual plans in both of Clerk's shapes, a
 * trial that converts and one that does not, a payment that fails twice then succeeds, a payer who
 * leaves and comes back, USD and EUR) delivered twice over, backwards, in small blocks, while the oracle
 * reads each event once in order.
 */
import { resolve } from "node:path";
import { Session } from "chdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedactor } from "../../lambda/redaction/index";
import { generateHistory, type StoredEvent } from "../../local/synthetic-history";
import {
  ingest,
  type LocalTinybird,
  loadTinybirdProject,
  queryPipe,
} from "../../tinybird-model/chdb-project";
import { renderPipeSql, TemplateError } from "../../tinybird-model/template";
import * as billing from "./billing-oracle";
import type { Params } from "./oracle";

const ROOT = resolve(__dirname, "../..");
const NOW = new Date(Date.UTC(2025, 3, 15, 12));
const ms = (iso: string) => Date.parse(`${iso}Z`);

// ---------------------------------------------------------------------------------------------
// A hand-written billing history, shaped as Clerk sends it (clerk/openapi-specs webhooks, fixtures).

const PLANS = {
  pro: { id: "cplan_pro", slug: "pro", name: "Pro", is_recurring: true, amount: 2000, currency: "USD" },
  business: {
    id: "cplan_business",
    slug: "business",
    name: "Business",
    is_recurring: true,
    amount: 5000,
    currency: "USD",
  },
  proAnnual: {
    id: "cplan_pro",
    slug: "pro",
    name: "Pro",
    is_recurring: true,
    amount: 19200,
    currency: "USD",
  },
  proEur: {
    id: "cplan_pro_eur",
    slug: "pro-eur",
    name: "Pro (EUR)",
    is_recurring: true,
    amount: 1900,
    currency: "EUR",
  },
};
type PlanJson = (typeof PLANS)[keyof typeof PLANS];

let sequence = 0;
function event(type: string, at: number, data: Record<string, unknown>): StoredEvent {
  sequence++;
  return {
    type,
    object: "event",
    instance_id: "ins_test",
    timestamp: at + 700,
    data,
    event_attributes: { http_request: { client_ip: "203.0.113.9", user_agent: "test" } },
    event_id: `msg_billing_${String(sequence).padStart(4, "0")}`,
    received_at: at + 900,
  };
}

const payer = (id: string) =>
  id.startsWith("org_")
    ? {
        object: "commerce_payer",
        id: `cpayer_${id}`,
        user_id: "",
        email: "billing@acme.test",
        organization_id: id,
      }
    : {
        object: "commerce_payer",
        id: `cpayer_${id}`,
        user_id: id,
        first_name: "Ada",
        last_name: "L",
        email: `${id}@acme.test`,
        organization_id: "",
      };

/** A `subscriptionItem.*` event in Clerk's webhook schema (interval, plan{amount, currency}). */
function item(
  type: string,
  who: string,
  id: string,
  plan: PlanJson,
  status: string,
  at: string,
  extra: { trial?: boolean; interval?: "month" | "annual" } = {},
): StoredEvent {
  const t = ms(at);
  return event(`subscriptionItem.${type}`, t, {
    object: "commerce_subscription_item",
    id,
    status,
    is_free_trial: extra.trial ?? false,
    created_at: t,
    updated_at: t,
    period_start: t,
    period_end: t + 30 * 86_400_000,
    interval: extra.interval ?? "month",
    plan_id: plan.id,
    plan,
    payer: payer(who),
    subscription_id: `csub_${who}`,
  });
}

/** One payment attempt: `created` (pending) and `updated` (paid or failed, with Clerk's failed_reason). */
function attempt(
  who: string,
  id: string,
  paymentId: string,
  at: string,
  charge: "checkout" | "recurring",
  total: { amount: number; currency: string },
  failed?: { code: string; decline_code: string },
): StoredEvent[] {
  const t = ms(at);
  const data = {
    id,
    payment_id: paymentId,
    statement_id: `stmt_${id}`,
    gateway_external_id: "[redacted]",
    status: "pending",
    created_at: t,
    updated_at: t,
    paid_at: null,
    failed_at: null,
    failed_reason: null,
    billing_date: t,
    charge_type: charge,
    payer: payer(who),
    totals: {
      subtotal: { ...total, amount_formatted: "", currency_symbol: "" },
      tax_total: { amount: 0, amount_formatted: "", currency: total.currency, currency_symbol: "" },
      grand_total: { ...total, amount_formatted: "", currency_symbol: "" },
    },
    payment_source: { id: "cps_1", payment_method: "card", status: "active" },
    subscription_items: [],
  };
  const done = t + 5_000;
  return [
    event("paymentAttempt.created", t, data),
    event("paymentAttempt.updated", done, {
      ...data,
      status: failed ? "failed" : "paid",
      updated_at: done,
      paid_at: failed ? null : done,
      failed_at: failed ? done : null,
      failed_reason: failed ?? null,
    }),
  ];
}

const DECLINED = { code: "card_declined", decline_code: "insufficient_funds" };
const usd = (amount: number) => ({ amount, currency: "USD" });

const SCENARIO: StoredEvent[] = [
  // A: Pro monthly, renewed, upgraded to Business mid-period, then a renewal that fails twice and succeeds.
  item("incomplete", "user_a", "item_a_pro", PLANS.pro, "incomplete", "2025-01-05T10:00:00"),
  ...attempt("user_a", "pa_a1", "cpa_a1", "2025-01-05T10:00:30", "checkout", usd(2000)),
  item("active", "user_a", "item_a_pro", PLANS.pro, "active", "2025-01-05T10:01:00"),
  item("updated", "user_a", "item_a_pro", PLANS.pro, "active", "2025-02-05T10:01:00"),
  ...attempt("user_a", "pa_a2", "cpa_a2", "2025-02-05T10:00:00", "recurring", usd(2000)),
  ...attempt("user_a", "pa_a3", "cpa_a3", "2025-02-20T09:00:00", "checkout", usd(3000)),
  item("active", "user_a", "item_a_business", PLANS.business, "active", "2025-02-20T09:01:00"),
  item("ended", "user_a", "item_a_pro", PLANS.pro, "ended", "2025-02-20T09:01:00"),
  ...attempt("user_a", "pa_a4", "cpa_a4", "2025-03-20T09:00:00", "recurring", usd(5000), DECLINED),
  item("pastDue", "user_a", "item_a_business", PLANS.business, "past_due", "2025-03-20T09:02:00"),
  ...attempt("user_a", "pa_a5", "cpa_a4", "2025-03-22T09:00:00", "recurring", usd(5000), DECLINED),
  ...attempt("user_a", "pa_a6", "cpa_a4", "2025-03-24T09:00:00", "recurring", usd(5000)),
  item("active", "user_a", "item_a_business", PLANS.business, "active", "2025-03-24T09:01:00"),
  // B: an organization on an annual EUR plan, in the @clerk/backend webhook type's shape:
  // plan_period, amount{}, plan.annual_monthly_amount (1450, not 18000 / 12).
  event("subscriptionItem.active", ms("2025-01-10T08:00:00"), {
    object: "commerce_subscription_item",
    id: "item_b_annual",
    status: "active",
    plan_period: "annual",
    period_start: ms("2025-01-10T08:00:00"),
    period_end: ms("2026-01-10T08:00:00"),
    updated_at: ms("2025-01-10T08:00:00"),
    amount: { amount: 18000, amount_formatted: "€180.00", currency: "EUR", currency_symbol: "€" },
    plan: {
      id: "cplan_team_eur",
      name: "Team (EUR)",
      slug: "team-eur",
      amount: 18000,
      period: "annual",
      interval: 1,
      currency: "EUR",
      annual_monthly_amount: 1450,
    },
    plan_id: "cplan_team_eur",
    payer: payer("org_b"),
  }),
  ...attempt("org_b", "pa_b1", "cpa_b1", "2025-01-10T07:59:00", "checkout", {
    amount: 18000,
    currency: "EUR",
  }),
  // C: an annual USD plan in the webhook schema's shape (its annual amount, 19200 / 12 = 1600 a month).
  item("active", "user_c", "item_c_annual", PLANS.proAnnual, "active", "2025-02-01T12:00:00", {
    interval: "annual",
  }),
  ...attempt("user_c", "pa_c1", "cpa_c1", "2025-02-01T11:59:00", "checkout", usd(19200)),
  // D: a trial that converts (its first charge is paid when the trial ends).
  item("active", "user_d", "item_d", PLANS.pro, "active", "2025-01-03T15:00:00", { trial: true }),
  item("freeTrialEnding", "user_d", "item_d", PLANS.pro, "active", "2025-01-14T15:00:00", { trial: true }),
  ...attempt("user_d", "pa_d1", "cpa_d1", "2025-01-17T15:00:00", "recurring", usd(2000)),
  item("updated", "user_d", "item_d", PLANS.pro, "active", "2025-01-17T15:01:00"),
  // E: a EUR trial canceled during the trial, ended unpaid.
  item("active", "user_e", "item_e", PLANS.proEur, "active", "2025-01-04T09:00:00", { trial: true }),
  item("canceled", "user_e", "item_e", PLANS.proEur, "canceled", "2025-01-08T09:00:00", { trial: true }),
  item("ended", "user_e", "item_e", PLANS.proEur, "ended", "2025-01-18T09:00:00", { trial: true }),
  // F: canceled in January, ended in February, back with a new item in March.
  ...attempt("user_f", "pa_f1", "cpa_f1", "2025-01-02T08:00:00", "checkout", usd(2000)),
  item("active", "user_f", "item_f1", PLANS.pro, "active", "2025-01-02T08:01:00"),
  item("canceled", "user_f", "item_f1", PLANS.pro, "canceled", "2025-01-20T08:00:00"),
  item("ended", "user_f", "item_f1", PLANS.pro, "ended", "2025-02-02T08:01:00"),
  ...attempt("user_f", "pa_f2", "cpa_f2", "2025-03-10T08:00:00", "checkout", usd(2000)),
  item("active", "user_f", "item_f2", PLANS.pro, "active", "2025-03-10T08:01:00"),
];

const MONTHS = { granularity: "month", start_date: "2025-01-01", end_date: "2025-03-31" };

/**
 * As the forwarder stores them with pseudonymisation on (payers' e-mails and names pseudonymised, card
 * details and processor ids redacted): the analytics must not need any of it. Then every line twice,
 * the second copy far later, and the whole list reversed (updates before creations).
 */
function chaotic(events: StoredEvent[]): string[] {
  const redact = createRedactor({ pseudonymizationKey: "billing-test-key-0123456789abcdef" });
  const lines = events.map((e) => JSON.stringify(redact({ ...e })));
  return [...lines, ...lines.slice(0, Math.ceil(lines.length / 2))].reverse();
}

// ---------------------------------------------------------------------------------------------

const history = generateHistory({ seed: 24, users: 150, billingShare: 0.5 });
let session: Session;
let generated: LocalTinybird;
let chaos: LocalTinybird;

beforeAll(() => {
  session = new Session();
  generated = loadTinybirdProject(session, ROOT, { database: "billing_generated" });
  expect(ingest(generated, history.lines, { blockSize: history.lines.length }).quarantined).toEqual([]);
  // The hand-written history as the forwarder stores it, delivered twice over, backwards, in blocks of 7.
  chaos = loadTinybirdProject(session, ROOT, { database: "billing_chaos" });
  expect(ingest(chaos, chaotic(SCENARIO), { blockSize: 7 }).quarantined).toEqual([]);
}, 120_000);
afterAll(() => {
  if (session?.open) session.cleanup();
});

const call = (local: LocalTinybird, name: string, params: Params, now = NOW) =>
  queryPipe(local, name, params, { now });

// The views' column types against their rollups: test/tinybird/view-types.test.ts, for every view.

describe("billing endpoints on a generated history", () => {
  const now = history.now;
  const months = { granularity: "month", start_date: "2024-10-01", end_date: "2025-03-31" };

  it("count subscriptions, upgrades, downgrades, cancellations, failed renewals and churn in USD and EUR, as the oracle does", () => {
    const rows = call(generated, "billing_subscriptions", months, now);
    expect(rows).toEqual(billing.subscriptions(history.events, months, now));
    const total = (k: string) => rows.reduce((sum, r) => sum + Number(r[k]), 0);
    for (const k of [
      "new_items",
      "upgraded_items",
      "downgraded_items",
      "canceled_items",
      "ended_items",
      "past_due_items",
      "churned_mrr",
    ])
      expect(total(k), k).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.currency))).toEqual(new Set(["EUR", "USD"]));
  });

  it.each([
    ["the last 90 days by day (defaults)", {}],
    ["months, by plan", { ...months, by: "plan" }],
  ])("billing_subscriptions gives the oracle's figures: %s", (_, params: Params) => {
    expect(call(generated, "billing_subscriptions", params, now)).toEqual(
      billing.subscriptions(history.events, params, now),
    );
  });

  // Weeks, ranges cut mid-week and every other edge: the edge-range sweep of dashboard-endpoints.test.ts.
  it.each([["months", months]])(
    "billing_trials and billing_payments give the oracle's figures: %s",
    (_, params: Params) => {
      const trials = call(generated, "billing_trials", params, now);
      expect(trials).toEqual(billing.trials(history.events, params, now));
      const total = (k: string) => trials.reduce((sum, r) => sum + Number(r[k]), 0);
      expect([total("trials_converted") > 0, total("trials_ended_unpaid") > 0]).toEqual([true, true]);
      expect(call(generated, "billing_payments", params, now)).toEqual(
        billing.payments(history.events, params, now),
      );
    },
  );
});

describe("billing endpoints on a hand-written history delivered twice over, backwards, in small blocks", () => {
  // From a Wednesday to the Sunday after today (NOW, Tuesday 2025-04-15): the first week cut, the last not over.
  const WEEKS = { granularity: "week", start_date: "2025-01-01", end_date: "2025-04-20" };
  const DAYS_BY_PLAN = { ...MONTHS, granularity: "day", by: "plan" };
  const answers = new Map<string, Record<string, unknown>[]>();
  const answer = (name: string, params: Params) => {
    const key = `${name} ${JSON.stringify(params)}`;
    if (!answers.has(key)) answers.set(key, call(chaos, name, params));
    return answers.get(key)!;
  };
  const row = (period: string, currency: string) =>
    answer("billing_subscriptions", MONTHS).find((r) => r.period === period && r.currency === currency)!;

  it.each([
    ["months", MONTHS],
    ["weeks", WEEKS],
    ["days, by plan", DAYS_BY_PLAN],
  ])("give the oracle's figures (computed from each event once): %s", (_, params: Params) => {
    expect(answer("billing_subscriptions", params)).toEqual(billing.subscriptions(SCENARIO, params, NOW));
    expect(answer("billing_trials", params)).toEqual(billing.trials(SCENARIO, params, NOW));
    expect(answer("billing_payments", params)).toEqual(billing.payments(SCENARIO, params, NOW));
  });

  it("count an upgrade mid-period as expansion, a payer leaving as churn and coming back as reactivation", () => {
    expect(row("2025-01-01", "USD")).toMatchObject({
      mrr: 6000,
      new_mrr: 6000,
      new_items: 3,
      paid_items: 3,
      canceled_items: 1,
    });
    expect(row("2025-02-01", "USD")).toMatchObject({
      mrr: 8600, // A on Business 5000, D 2000, C's annual plan 19200 / 12
      net_new_mrr: 2600,
      new_mrr: 1600,
      expansion_mrr: 3000,
      churned_mrr: 2000,
      upgraded_items: 1,
      ended_items: 2,
    });
    expect(row("2025-03-01", "USD")).toMatchObject({
      mrr: 10600,
      reactivation_mrr: 2000,
      reactivated_items: 1,
      past_due_items: 1,
      paying_users: 4,
      paying_organizations: 0,
    });
  });

  it("counts an annual item at plan.annual_monthly_amount when the event carries it, else a twelfth of its amount", () => {
    expect(row("2025-01-01", "EUR")).toMatchObject({ mrr: 1450, new_mrr: 1450, paying_organizations: 1 });
    const byPlan = answer("billing_subscriptions", DAYS_BY_PLAN).filter((r) => r.period === "2025-03-31");
    expect(byPlan.find((r) => r.plan === "pro" && r.billing_interval === "annual")).toMatchObject({
      mrr: 1600,
      paid_items: 1,
    });
    expect(byPlan.find((r) => r.plan === "team-eur")).toMatchObject({
      mrr: 1450,
      paid_items: 1,
      currency: "EUR",
    });
  });

  it("follows a trial that converts and one that ends unpaid, and leaves trials out of MRR", () => {
    expect(answer("billing_trials", MONTHS)[0]).toEqual({
      period: "2025-01-01",
      trials_started: 2,
      trials_converted: 1,
      trials_ended_unpaid: 1,
      trials_open: 0,
      conversion_rate: 0.5,
      complete: true,
    });
    const january5 = answer("billing_subscriptions", WEEKS).filter((r) => r.period === "2024-12-30");
    expect(january5.find((r) => r.currency === "USD")).toMatchObject({ trialing_items: 1, mrr: 4000 });
    expect(january5.find((r) => r.currency === "EUR")).toMatchObject({ trialing_items: 1, mrr: 0 });
  });

  it("counts a payment that fails twice then succeeds as three attempts, two failures with their reason, one paid", () => {
    const march = answer("billing_payments", MONTHS).find(
      (r) => r.period === "2025-03-01" && r.currency === "USD",
    );
    expect(march).toMatchObject({
      attempts: 4, // A's three, F's return
      paid: 2,
      failed: 2,
      recurring_attempts: 3,
      recurring_failed: 2,
      amount_paid: 7000,
      checkout_amount_paid: 2000,
      failure_reasons: { "card_declined/insufficient_funds": 2 },
    });
  });

  // Ranges from 1970-01-01 to 2149-06-06, and bad ones, against the oracle: the edge-range sweep of
  // test/analytics/dashboard-endpoints.test.ts, whose history has billing events in 1970 and 2149.
  it("gives no row at all before the first billing event", () => {
    expect(
      call(chaos, "billing_subscriptions", { start_date: "1970-01-01", end_date: "1970-01-01" }),
    ).toEqual([]);
  });

  it("marks incomplete the week the range cuts and the one holding today, on every row", () => {
    for (const [name, extra] of [
      ["billing_subscriptions", {}],
      ["billing_subscriptions", { by: "plan" }],
      ["billing_trials", {}],
      ["billing_payments", {}],
    ] as const) {
      const rows = answer(name, { ...WEEKS, ...extra });
      expect(new Set(rows.map((r) => r.period)).size, name).toBe(16);
      for (const r of rows)
        expect(r.complete, `${name} ${JSON.stringify(extra)} ${r.period}`).toBe(
          r.period !== "2024-12-30" && r.period !== "2025-04-14",
        );
    }
  });

  it("answers an unknown breakdown with an error naming the parameter", () => {
    const pipe = chaos.project.pipes.find((p) => p.definition.name === "billing_subscriptions")!.definition;
    expect(() => renderPipeSql(pipe, { by: "currency" })).toThrow(
      new TemplateError("by must be plan, or left out for the totals per currency"),
    );
  });
});
