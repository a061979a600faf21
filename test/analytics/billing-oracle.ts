/**
 * The Clerk Billing figures computed directly in TypeScript from the events (each event once), with the
 * definitions the billing pipes' descriptions state, the plain way: every item's state at the end of
 * each day that matters, every payer's MRR from those states. The pipes' SQL (signed changes, running
 * sums, window functions) is checked against this; nothing here reads SQL or the stored rows.
 */
import type { StoredEvent } from "../../local/synthetic-history";
import { addDays, dayOf, isComplete, type Params, periodOf, type Range, reportRange } from "./oracle";

// A final status sorts after a non-final one stamped at the same millisecond.
const STATUS_ORDER = [
  "incomplete",
  "upcoming",
  "active",
  "past_due",
  "canceled",
  "abandoned",
  "expired",
  "ended",
];
const LIVE = new Set(["active", "past_due", "canceled"]);

interface State {
  at: number;
  day: string;
  status: string;
  trial: boolean;
  planId: string;
  slug: string;
  name: string;
  interval: string;
  currency: string;
  /** The plan's monthly equivalent, minor units. */
  amount: number;
}

interface Item {
  id: string;
  payer: string;
  payerType: "user" | "organization";
  states: State[];
}

const live = (s: State | undefined) => s !== undefined && LIVE.has(s.status);
const paying = (s: State | undefined) => live(s) && !s!.trial && s!.amount > 0;

function intervalOf(raw: string): string {
  const v = raw.toLowerCase();
  if (["annual", "year", "yearly", "annually"].includes(v)) return "annual";
  return ["month", "monthly", ""].includes(v) ? "month" : v;
}

/** The item a `subscriptionItem.*` event describes, as the events carry it (both documented shapes). */
function stateOf(e: StoredEvent): { id: string; payer: string; payerType: Item["payerType"]; state: State } {
  const d = e.data;
  const plan = d.plan ?? {};
  const payer = d.payer ?? {};
  const interval = intervalOf(d.interval || d.plan_period || plan.period || "");
  const periodAmount = Math.max(0, plan.amount > 0 ? plan.amount : (d.amount?.amount ?? 0));
  const amount =
    interval === "annual"
      ? plan.annual_monthly_amount > 0
        ? plan.annual_monthly_amount
        : Math.floor((periodAmount + 6) / 12)
      : periodAmount;
  const at = d.updated_at > 0 ? d.updated_at : e.timestamp;
  return {
    id: d.id,
    payer: payer.organization_id || payer.user_id || payer.id || d.payer_id || "",
    payerType: payer.organization_id ? "organization" : "user",
    state: {
      at,
      day: dayOf(at),
      status: d.status ?? "",
      trial: d.is_free_trial === true,
      planId: plan.id || d.plan_id || "",
      slug: plan.slug ?? "",
      name: plan.name ?? "",
      interval,
      currency: String(plan.currency || d.amount?.currency || "").toUpperCase(),
      amount,
    },
  };
}

const key = (s: State) => [
  s.at,
  STATUS_ORDER.indexOf(s.status) + 1,
  s.status,
  s.trial,
  s.planId,
  s.interval,
  s.currency,
  s.amount,
];

function compare(a: State, b: State): number {
  const [x, y] = [key(a), key(b)];
  for (let i = 0; i < x.length; i++) {
    if (x[i]! < y[i]!) return -1;
    if (x[i]! > y[i]!) return 1;
  }
  return 0;
}

/** Every item with its distinct states in order (updated_at, then the status order). */
export function items(events: StoredEvent[]): Item[] {
  const byId = new Map<string, Item>();
  for (const e of events) {
    if (!e.type.startsWith("subscriptionItem.")) continue;
    const { id, payer, payerType, state } = stateOf(e);
    if (!byId.has(id)) byId.set(id, { id, payer, payerType, states: [] });
    const item = byId.get(id)!;
    if (!item.states.some((s) => compare(s, state) === 0)) item.states.push(state);
  }
  for (const item of byId.values()) item.states.sort(compare);
  return [...byId.values()];
}

/** The item's state at the end of `day` (its last state that day or before; states are in day order). */
function stateAt(item: Item, day: string): State | undefined {
  let found: State | undefined;
  for (const s of item.states) {
    if (s.day > day) break;
    found = s;
  }
  return found;
}

/** The payer's MRR in `currency` at the end of `day`. */
function payerMrr(payerItems: Item[], currency: string, day: string): number {
  let sum = 0;
  for (const item of payerItems) {
    const s = stateAt(item, day);
    if (paying(s) && s!.currency === currency) sum += s!.amount;
  }
  return sum;
}

/** Each period of the range with the days it covers inside the range. */
function periodsOf(range: Range): { period: string; first: string; last: string }[] {
  const spans = new Map<string, { period: string; first: string; last: string }>();
  for (const day of range.days) {
    const period = periodOf(day, range.granularity);
    const span = spans.get(period);
    if (span) span.last = day;
    else spans.set(period, { period, first: day, last: day });
  }
  return [...spans.values()];
}

const dayBefore = (day: string) => addDays(day, -1);

type Live = { paid_items: number; trialing_items: number; free_items: number; mrr: number };
const noneLive = (): Live => ({ paid_items: 0, trialing_items: 0, free_items: 0, mrr: 0 });

/** The items live at the end of `day`, by kind, and their MRR, per `keyOf` of their state then. */
function liveAt(items: Item[], day: string, keyOf: (s: State) => string): Map<string, Live> {
  const byKey = new Map<string, Live>();
  for (const item of items) {
    const s = stateAt(item, day);
    if (!live(s)) continue;
    const key = keyOf(s!);
    if (!byKey.has(key)) byKey.set(key, noneLive());
    const counts = byKey.get(key)!;
    if (paying(s)) {
      counts.paid_items++;
      counts.mrr += s!.amount;
    } else if (s!.trial) counts.trialing_items++;
    else counts.free_items++;
  }
  return byKey;
}

export function subscriptions(events: StoredEvent[], params: Params, now: Date) {
  const range = reportRange(params, 90, now);
  const all = items(events).map((i) => ({ ...i, states: i.states.filter((s) => s.day <= range.end) }));
  const known = all.filter((i) => i.states.length > 0);
  if (params.by === "plan") return byPlan(known, range);
  // The currencies of items live at some point up to the range's end.
  const currencies = [...new Set(known.flatMap((i) => i.states.filter(live).map((s) => s.currency)))].sort();
  const payers = new Map<string, Item[]>();
  for (const item of known) payers.set(item.payer, [...(payers.get(item.payer) ?? []), item]);
  const payerType = new Map(known.map((i) => [i.payer, i.payerType]));
  // The days on which a payer's MRR can change: its items' change days. At the end of any other day
  // it is what it was at the end of the last of them before (0 before the first).
  const changeDays = new Map(
    [...payers].map(([payer, its]) => [
      payer,
      [...new Set(its.flatMap((i) => i.states.map((s) => s.day)))].sort(),
    ]),
  );
  const steps = new Map<string, Map<string, number[]>>();
  const mrrOf = (payer: string, currency: string, day: string) => {
    const days = changeDays.get(payer)!;
    let i = days.length - 1;
    while (i >= 0 && days[i]! > day) i--;
    if (i < 0) return 0;
    if (!steps.has(currency)) steps.set(currency, new Map());
    const byPayer = steps.get(currency)!;
    if (!byPayer.has(payer))
      byPayer.set(
        payer,
        days.map((d) => payerMrr(payers.get(payer)!, currency, d)),
      );
    return byPayer.get(payer)![i]!;
  };
  // Every state in the range, with the item's state before it, by period.
  const changes = new Map<string, { item: Item; s: State; prev: State | undefined }[]>();
  for (const item of known)
    item.states.forEach((s, i) => {
      if (s.day < range.start) return;
      const period = periodOf(s.day, range.granularity);
      if (!changes.has(period)) changes.set(period, []);
      changes.get(period)!.push({ item, s, prev: item.states[i - 1] });
    });
  const paidBefore = (payer: string, currency: string, day: string) =>
    changeDays.get(payer)!.some((d) => d < day && mrrOf(payer, currency, d) > 0);

  const rows = [];
  for (const { period, first, last } of periodsOf(range)) {
    const liveThen = liveAt(known, last, (s) => s.currency);
    // No row at all before the first billing event (no currency yet).
    for (const currency of currencies) {
      const row = {
        period,
        currency,
        mrr: 0,
        net_new_mrr: 0,
        new_mrr: 0,
        reactivation_mrr: 0,
        expansion_mrr: 0,
        contraction_mrr: 0,
        churned_mrr: 0,
        paid_items: 0,
        trialing_items: 0,
        free_items: 0,
        paying_payers: 0,
        paying_users: 0,
        paying_organizations: 0,
        new_items: 0,
        reactivated_items: 0,
        upgraded_items: 0,
        downgraded_items: 0,
        canceled_items: 0,
        past_due_items: 0,
        ended_items: 0,
        complete: isComplete(range, period),
      };
      const { paid_items, trialing_items, free_items } = liveThen.get(currency) ?? noneLive();
      Object.assign(row, { paid_items, trialing_items, free_items });
      const before = dayBefore(first);
      for (const payer of payers.keys()) {
        const end = mrrOf(payer, currency, last);
        const start = mrrOf(payer, currency, before);
        row.mrr += end;
        if (end > 0) {
          row.paying_payers++;
          if (payerType.get(payer) === "organization") row.paying_organizations++;
          else row.paying_users++;
        }
        if (start === 0 && end > 0) {
          if (paidBefore(payer, currency, first)) row.reactivation_mrr += end;
          else row.new_mrr += end;
        } else if (start > 0 && end === 0) row.churned_mrr += start;
        else if (start > 0 && end > start) row.expansion_mrr += end - start;
        else if (start > 0 && end < start) row.contraction_mrr += start - end;
      }
      row.net_new_mrr =
        row.new_mrr + row.reactivation_mrr + row.expansion_mrr - row.contraction_mrr - row.churned_mrr;
      const once = {
        canceled: new Set<string>(),
        pastDue: new Set<string>(),
        ended: new Set<string>(),
        resumed: new Set<string>(),
      };
      for (const { item, s, prev } of changes.get(period) ?? []) {
        if (s.currency !== currency) continue;
        // An item starts paying when its previous state did not pay.
        if (paying(s) && !paying(prev)) {
          const before = mrrOf(item.payer, currency, dayBefore(s.day));
          if (before === 0) {
            if (paidBefore(item.payer, currency, s.day)) row.reactivated_items++;
            else row.new_items++;
          } else if (s.amount > before) row.upgraded_items++;
          else if (s.amount < before) row.downgraded_items++;
        }
        if (paying(s) && s.status === "canceled" && prev?.status !== "canceled") once.canceled.add(item.id);
        if (paying(s) && s.status === "past_due" && prev?.status !== "past_due") once.pastDue.add(item.id);
        if (paying(prev) && (s.status === "ended" || s.status === "expired")) once.ended.add(item.id);
        if (paying(s) && s.status === "active" && prev?.status === "canceled") once.resumed.add(item.id);
      }
      row.canceled_items = once.canceled.size;
      row.past_due_items = once.pastDue.size;
      row.ended_items = once.ended.size;
      row.reactivated_items += once.resumed.size;
      rows.push(row);
    }
  }
  return rows;
}

function byPlan(known: Item[], range: Range) {
  const comboOf = (s: State) => `${s.currency}\u0000${s.planId}\u0000${s.interval}`;
  const combos = new Map<string, { currency: string; planId: string; interval: string }>();
  for (const s of known.flatMap((i) => i.states))
    combos.set(comboOf(s), {
      currency: s.currency,
      planId: s.planId,
      interval: s.interval,
    });
  const latest = new Map<string, State>();
  for (const s of known.flatMap((i) => i.states)) {
    const seen = latest.get(s.planId);
    if (!seen || s.at > seen.at) latest.set(s.planId, s);
  }
  interface PlanRow {
    period: string;
    currency: string;
    plan_id: string;
    plan: string;
    plan_name: string;
    billing_interval: string;
    paid_items: number;
    trialing_items: number;
    free_items: number;
    mrr: number;
    complete: boolean;
  }
  const rows: PlanRow[] = [];
  for (const { period, last } of periodsOf(range)) {
    const liveThen = liveAt(known, last, comboOf);
    for (const [combo, { currency, planId, interval }] of combos) {
      rows.push({
        period,
        currency,
        plan_id: planId,
        plan: latest.get(planId)!.slug,
        plan_name: latest.get(planId)!.name,
        billing_interval: interval,
        ...(liveThen.get(combo) ?? noneLive()),
        complete: isComplete(range, period),
      });
    }
  }
  const order = (r: PlanRow) => [r.period, r.currency, r.plan, r.billing_interval];
  return rows.sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
    return 0;
  });
}

export function trials(events: StoredEvent[], params: Params, now: Date) {
  const range = reportRange(params, 90, now);
  const counts = new Map(
    periodsOf(range).map(({ period }) => [period, { started: 0, converted: 0, endedUnpaid: 0 }]),
  );
  for (const item of items(events)) {
    const at = (test: (s: State) => boolean) =>
      item.states.filter(test).reduce((min, s) => Math.min(min, s.at), Number.POSITIVE_INFINITY);
    const started = at((s) => s.trial && live(s));
    if (started === Number.POSITIVE_INFINITY) continue;
    const day = dayOf(started);
    if (day < range.start || day > range.end) continue;
    const converted =
      at((s) => !s.trial && s.status === "active" && s.amount > 0) >= started &&
      at((s) => !s.trial && s.status === "active" && s.amount > 0) !== Number.POSITIVE_INFINITY;
    const ended = at((s) => ["ended", "expired", "abandoned"].includes(s.status));
    const c = counts.get(periodOf(day, range.granularity))!;
    c.started++;
    if (converted) c.converted++;
    else if (ended !== Number.POSITIVE_INFINITY && ended >= started) c.endedUnpaid++;
  }
  return [...counts.entries()].map(([period, c]) => ({
    period,
    trials_started: c.started,
    trials_converted: c.converted,
    trials_ended_unpaid: c.endedUnpaid,
    trials_open: c.started - c.converted - c.endedUnpaid,
    conversion_rate: c.started === 0 ? 0 : Math.round((c.converted / c.started) * 10_000) / 10_000,
    complete: isComplete(range, period),
  }));
}

export function payments(events: StoredEvent[], params: Params, now: Date) {
  const range = reportRange(params, 90, now);
  const attempts = new Map<string, StoredEvent[]>();
  for (const e of events) {
    if (!e.type.startsWith("paymentAttempt.")) continue;
    attempts.set(e.data.id, [...(attempts.get(e.data.id) ?? []), e]);
  }
  type Figures = {
    attempts: number;
    paid: number;
    failed: number;
    pending: number;
    amount_paid: number;
    recurring_attempts: number;
    recurring_paid: number;
    recurring_failed: number;
    recurring_amount_paid: number;
    checkout_attempts: number;
    checkout_paid: number;
    checkout_failed: number;
    checkout_amount_paid: number;
    failure_reasons: Record<string, number>;
  };
  const noPayments = (): Figures => ({
    attempts: 0,
    paid: 0,
    failed: 0,
    pending: 0,
    amount_paid: 0,
    recurring_attempts: 0,
    recurring_paid: 0,
    recurring_failed: 0,
    recurring_amount_paid: 0,
    checkout_attempts: 0,
    checkout_paid: 0,
    checkout_failed: 0,
    checkout_amount_paid: 0,
    failure_reasons: {},
  });
  const figures = new Map<string, Figures>();
  const currencies = new Set<string>();
  for (const versions of attempts.values()) {
    const first = versions[0]!.data;
    const day = dayOf(first.created_at > 0 ? first.created_at : versions[0]!.timestamp);
    if (day < range.start || day > range.end) continue;
    const latest = [...versions]
      .sort((a, b) => {
        const rank = (e: StoredEvent) => [
          e.data.updated_at > 0 ? e.data.updated_at : e.timestamp,
          ["paid", "failed"].includes(e.data.status) ? 1 : 0,
        ];
        const [x, y] = [rank(a), rank(b)];
        return x[0]! - y[0]! || x[1]! - y[1]!;
      })
      .at(-1)!.data;
    const currency = String(latest.totals.grand_total.currency).toUpperCase();
    const amount = latest.totals.grand_total.amount as number;
    currencies.add(currency);
    const k = `${periodOf(day, range.granularity)}\u0000${currency}`;
    const f = figures.get(k) ?? noPayments();
    figures.set(k, f);
    const type = latest.charge_type as "recurring" | "checkout";
    const status = latest.status as string;
    f.attempts++;
    f[`${type}_attempts`]++;
    if (status === "paid") {
      f.paid++;
      f[`${type}_paid`]++;
      f.amount_paid += amount;
      f[`${type}_amount_paid`] += amount;
    } else if (status === "failed") {
      f.failed++;
      f[`${type}_failed`]++;
      const { code = "", decline_code = "" } = latest.failed_reason ?? {};
      const reason = code === "" ? "unknown" : decline_code === "" ? code : `${code}/${decline_code}`;
      f.failure_reasons[reason] = (f.failure_reasons[reason] ?? 0) + 1;
    } else f.pending++;
  }
  const rows = [];
  for (const { period } of periodsOf(range)) {
    for (const currency of currencies.size > 0 ? [...currencies].sort() : [""]) {
      const f = figures.get(`${period}\u0000${currency}`) ?? noPayments();
      rows.push({
        period,
        currency,
        ...f,
        failure_reasons: Object.fromEntries(Object.entries(f.failure_reasons).sort()),
        complete: isComplete(range, period),
      });
    }
  }
  return rows;
}
