/**
 * Clerk Billing in the synthetic history: some users (and some organizations) subscribe to a paid plan,
 * monthly or annual, in USD or EUR, directly or after a free trial; renewals are charged, some fail and
 * are retried (a few never paid), some payers upgrade at once or downgrade at the period's end, some
 * cancel (a few change their mind before the period ends), some come back later. Each change is sent as
 * Clerk sends it: `subscriptionItem.*` with the whole item, `paymentAttempt.*` for each charge, and
 * `subscription.*` for the payer's top-level subscription. Payload shapes follow Clerk's webhook schema
 * (clerk/openapi-specs webhooks/2025-04-15.yml) and test/fixtures/clerk-events.
 */

const DAY = 86_400_000;
const MINUTE = 60_000;

/** What the billing generator needs from the history being built. */
export interface BillingContext {
  random: {
    next(): number;
    chance(p: number): boolean;
    between(min: number, max: number): number;
    int(min: number, max: number): number;
    pick<T>(weighted: [T, number][]): T;
    exponential(mean: number): number;
    id(prefix: string): string;
  };
  /** Sends an event (dropped when after the history's end). */
  emit(type: string, timestamp: number, data: Record<string, unknown>): void;
  now: number;
  instanceId: string;
}

/** Someone who can pay: a user, or an organization (its creator's name and e-mail on the payer). */
export interface BillingCustomer {
  userId: string;
  organizationId?: string;
  organizationName?: string;
  email: string;
  firstName: string;
  lastName: string;
  /** When the customer exists from (a user's sign-up, an organization's creation). */
  since: number;
}

export interface Plan {
  id: string;
  slug: string;
  name: string;
  /** Charged per period, in the currency's minor units: monthly, or the whole year for an annual plan. */
  amount: number;
  currency: "USD" | "EUR";
  interval: "month" | "annual";
}

const plan = (
  slug: string,
  name: string,
  amount: number,
  currency: Plan["currency"],
  interval: Plan["interval"],
) => ({ id: `cplan_${slug.replace(/-/g, "_")}`, slug, name, amount, currency, interval }) satisfies Plan;

export const PLANS = {
  free: plan("free", "Free", 0, "USD", "month"),
  proUsd: plan("pro", "Pro", 2000, "USD", "month"),
  proUsdAnnual: plan("pro", "Pro", 19200, "USD", "annual"),
  businessUsd: plan("business", "Business", 5000, "USD", "month"),
  proEur: plan("pro-eur", "Pro (EUR)", 1900, "EUR", "month"),
  proEurAnnual: plan("pro-eur", "Pro (EUR)", 18000, "EUR", "annual"),
  businessEur: plan("business-eur", "Business (EUR)", 4500, "EUR", "month"),
};
const UPGRADE: Partial<Record<string, Plan>> = { pro: PLANS.businessUsd, "pro-eur": PLANS.businessEur };
const DOWNGRADE: Partial<Record<string, Plan>> = { business: PLANS.proUsd, "business-eur": PLANS.proEur };

const DECLINES: [{ code: string; decline_code: string }, number][] = [
  [{ code: "card_declined", decline_code: "insufficient_funds" }, 5],
  [{ code: "card_declined", decline_code: "generic_decline" }, 3],
  [{ code: "expired_card", decline_code: "expired_card" }, 2],
  [{ code: "card_declined", decline_code: "do_not_honor" }, 1],
];
const TRIAL_DAYS = 14;

function addPeriod(at: number, interval: Plan["interval"]): number {
  const d = new Date(at);
  if (interval === "annual") d.setUTCFullYear(d.getUTCFullYear() + 1);
  else d.setUTCMonth(d.getUTCMonth() + 1);
  return d.getTime();
}

const money = (amount: number, currency: string) => ({
  amount,
  amount_formatted: `${currency === "EUR" ? "€" : "$"}${(amount / 100).toFixed(2)}`,
  currency,
  currency_symbol: currency === "EUR" ? "€" : "$",
});

interface Item {
  id: string;
  plan: Plan;
  createdAt: number;
  periodStart: number;
  periodEnd: number | null;
  status: string;
  trial: boolean;
}

/** One payer's billing: its subscription, its items and charges, each change emitted as Clerk would. */
class Payer {
  readonly payerId: string;
  readonly subscriptionId: string;
  readonly paymentSourceId: string;
  readonly free: Item;
  private announced = false;

  constructor(
    private readonly ctx: BillingContext,
    readonly customer: BillingCustomer,
  ) {
    const r = ctx.random;
    this.payerId = r.id("cpayer");
    this.subscriptionId = r.id("csub");
    this.paymentSourceId = r.id("cps");
    // The default plan's item keeps one id for the payer's whole life (Clerk's docs).
    this.free = {
      id: r.id("csub_item"),
      plan: PLANS.free,
      createdAt: customer.since,
      periodStart: customer.since,
      periodEnd: null,
      status: "active",
      trial: false,
    };
  }

  private payer() {
    const c = this.customer;
    return {
      object: "commerce_payer",
      id: this.payerId,
      user_id: c.organizationId ? "" : c.userId,
      first_name: c.organizationId ? "" : c.firstName,
      last_name: c.organizationId ? "" : c.lastName,
      email: c.email,
      organization_id: c.organizationId ?? "",
      organization_name: c.organizationName ?? "",
      image_url: "https://img.clerk.com/xxxxxx",
      created_at: Math.round(c.since),
      updated_at: Math.round(c.since),
    };
  }

  private itemData(item: Item, at: number, standalone: boolean) {
    return {
      object: "commerce_subscription_item",
      id: item.id,
      status: item.status,
      is_free_trial: item.trial,
      created_at: Math.round(item.createdAt),
      updated_at: Math.round(at),
      period_start: Math.round(item.periodStart),
      period_end: item.periodEnd === null ? null : Math.round(item.periodEnd),
      interval: item.plan.interval,
      plan_id: item.plan.id,
      plan: {
        id: item.plan.id,
        slug: item.plan.slug,
        name: item.plan.name,
        is_recurring: item.plan.amount > 0,
        amount: item.plan.amount,
        currency: item.plan.currency,
      },
      seats: { quantity: 1 },
      ...(standalone
        ? { payer: this.payer(), subscription_id: this.subscriptionId }
        : { subscription_id: null }),
    };
  }

  private subscription(type: string, at: number, status: string, items: Item[]) {
    this.ctx.emit(type, at + 50, {
      object: "commerce_subscription",
      id: this.subscriptionId,
      status,
      active_at: Math.round(this.customer.since),
      canceled_at: null,
      created_at: Math.round(this.customer.since),
      ended_at: null,
      past_due_at: status === "past_due" ? Math.round(at) : null,
      updated_at: Math.round(at),
      latest_payment_id: null,
      payer_id: this.payerId,
      payer: this.payer(),
      payment_source_id: this.paymentSourceId,
      items: items.map((i) => this.itemData(i, at, false)),
    });
  }

  /** The item in a new status at `at` (its `updated_at`); Clerk's event reaches the webhook shortly after. */
  set(
    item: Item,
    status: string,
    at: number,
    type = `subscriptionItem.${EVENT_OF[status] ?? "updated"}`,
  ): void {
    item.status = status;
    if (!this.announced) {
      this.announced = true;
      this.subscription("subscription.created", this.customer.since, "active", [this.free]);
      this.ctx.emit(
        "subscriptionItem.active",
        this.customer.since + 20,
        this.itemData(this.free, this.customer.since, true),
      );
    }
    this.ctx.emit(type, at + this.ctx.random.int(0, 1_500), this.itemData(item, at, true));
    if (status === "past_due") this.subscription("subscription.pastDue", at, "past_due", [item]);
  }

  /** A charge: one attempt, pending then paid or failed. */
  charge(item: Item, at: number, chargeType: "checkout" | "recurring", paymentId: string, fails: boolean) {
    const r = this.ctx.random;
    const amount = item.plan.amount;
    const tax = Math.round(amount * 0.1);
    const attempt = {
      id: r.id("pa"),
      instance_id: this.ctx.instanceId,
      payment_id: paymentId,
      statement_id: r.id("stmt"),
      gateway_external_id: `pi_${r.id("x").slice(2, 26)}`,
      status: "pending",
      created_at: Math.round(at),
      updated_at: Math.round(at),
      paid_at: null as number | null,
      failed_at: null as number | null,
      failed_reason: null as { code: string; decline_code: string } | null,
      billing_date: Math.round(at),
      charge_type: chargeType,
      payee: {
        id: "cpayee_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
        gateway_type: "stripe",
        gateway_external_id: "acct_1A2B3C4D5E6F7G8H",
        gateway_status: "active",
      },
      payer: this.payer(),
      totals: {
        subtotal: money(amount, item.plan.currency),
        tax_total: money(tax, item.plan.currency),
        grand_total: money(amount + tax, item.plan.currency),
      },
      payment_source: {
        id: this.paymentSourceId,
        gateway: "stripe",
        gateway_external_id: `pm_${r.id("x").slice(2, 26)}`,
        gateway_external_account_id: "acct_1A2B3C4D5E6F7G8H",
        payment_method: "card",
        status: "active",
        card_type: "visa",
        last4: "4242",
      },
      subscription_items: [
        {
          id: item.id,
          status: item.status,
          plan_period: item.plan.interval,
          period_start: Math.round(item.periodStart),
          period_end: item.periodEnd === null ? null : Math.round(item.periodEnd),
          amount: money(amount, item.plan.currency),
          plan: {
            id: item.plan.id,
            name: item.plan.name,
            slug: item.plan.slug,
            amount: item.plan.amount,
            period: item.plan.interval,
            currency: item.plan.currency,
          },
          plan_id: item.plan.id,
        },
      ],
    };
    this.ctx.emit("paymentAttempt.created", at + r.int(0, 800), attempt);
    const done = at + r.int(2_000, 20_000);
    this.ctx.emit("paymentAttempt.updated", done + r.int(0, 800), {
      ...attempt,
      status: fails ? "failed" : "paid",
      updated_at: done,
      paid_at: fails ? null : done,
      failed_at: fails ? done : null,
      failed_reason: fails ? r.pick(DECLINES) : null,
    });
    return done;
  }

  newItem(plan: Plan, at: number, trial = false): Item {
    const periodEnd = trial ? at + TRIAL_DAYS * DAY : addPeriod(at, plan.interval);
    return {
      id: this.ctx.random.id("csub_item"),
      plan,
      createdAt: at,
      periodStart: at,
      periodEnd,
      status: "incomplete",
      trial,
    };
  }
}

const EVENT_OF: Record<string, string> = {
  active: "active",
  canceled: "canceled",
  upcoming: "upcoming",
  ended: "ended",
  abandoned: "abandoned",
  incomplete: "incomplete",
  past_due: "pastDue",
};

/**
 * A charge with Clerk's retries: the first attempt, then (when it fails) up to two more a few days apart,
 * all attempts of one payment. Returns when it was paid, or undefined when every attempt failed.
 */
function chargeWithRetries(
  ctx: BillingContext,
  payer: Payer,
  item: Item,
  at: number,
  chargeType: "checkout" | "recurring",
  failureChance: number,
): { paidAt?: number; firstFailureAt?: number } {
  const r = ctx.random;
  const paymentId = r.id("cpa");
  let when = at;
  let firstFailureAt: number | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const fails = r.chance(attempt === 0 ? failureChance : 0.45);
    const done = payer.charge(item, when, chargeType, paymentId, fails);
    if (!fails) return { paidAt: done, ...(firstFailureAt !== undefined ? { firstFailureAt } : {}) };
    firstFailureAt ??= done;
    if (item.status !== "past_due" && chargeType === "recurring") payer.set(item, "past_due", done + 1_000);
    when = done + r.between(2 * DAY, 4 * DAY);
  }
  return firstFailureAt !== undefined ? { firstFailureAt } : {};
}

/** The item paid again: back to `active` after a failed charge, else a plain `updated` (a new period). */
function renewed(payer: Payer, item: Item, at: number): void {
  const type = item.status === "active" ? "subscriptionItem.updated" : "subscriptionItem.active";
  payer.set(item, "active", at, type);
}

/** One payer's story from its first subscription to the history's end. */
function subscribe(ctx: BillingContext, payer: Payer, startAt: number): void {
  const r = ctx.random;
  const end = ctx.now;
  const eur = r.chance(0.3);
  let current: Plan = r.pick<Plan>([
    [eur ? PLANS.proEur : PLANS.proUsd, 60],
    [eur ? PLANS.proEurAnnual : PLANS.proUsdAnnual, 20],
    [eur ? PLANS.businessEur : PLANS.businessUsd, 20],
  ]);
  let at = startAt;
  for (let comeback = 0; comeback < 2 && at < end; comeback++) {
    let item: Item;
    if (comeback === 0 && current.interval === "month" && r.chance(0.25)) {
      // A free trial: active at once (is_free_trial), freeTrialEnding three days before its end.
      item = payer.newItem(current, at, true);
      payer.set(item, "active", at);
      payer.set(payer.free, "ended", at + 200);
      const trialEnd = item.periodEnd!;
      payer.set(item, "active", trialEnd - 3 * DAY, "subscriptionItem.freeTrialEnding");
      if (r.chance(0.25)) {
        // Canceled during the trial: it ends with the trial, unpaid.
        payer.set(item, "canceled", at + r.between(DAY, (TRIAL_DAYS - 4) * DAY));
        if (trialEnd > end) return;
        payer.set(item, "ended", trialEnd);
        payer.set(payer.free, "active", trialEnd + 200);
        return;
      }
      if (trialEnd > end) return;
      // The first charge, when the trial ends (a failure leaves the item past due, out of its trial).
      item.trial = false;
      item.periodStart = trialEnd;
      item.periodEnd = addPeriod(trialEnd, current.interval);
      const { paidAt } = chargeWithRetries(ctx, payer, item, trialEnd, "recurring", 0.3);
      if (paidAt === undefined) {
        payer.set(item, "ended", trialEnd + 9 * DAY);
        payer.set(payer.free, "active", trialEnd + 9 * DAY + 200);
        return;
      }
      renewed(payer, item, paidAt + 500);
    } else {
      // Checkout: incomplete until the payment goes through (a few never do, and are abandoned).
      item = payer.newItem(current, at);
      payer.set(item, "incomplete", at);
      const { paidAt } = chargeWithRetries(ctx, payer, item, at + 30_000, "checkout", 0.08);
      if (paidAt === undefined) {
        payer.set(item, "abandoned", at + DAY);
        return;
      }
      item.periodStart = paidAt;
      item.periodEnd = addPeriod(paidAt, current.interval);
      payer.set(item, "active", paidAt + 500);
      if (payer.free.status === "active") payer.set(payer.free, "ended", paidAt + 700);
    }
    // Period after period until the payer leaves.
    let stays = true;
    while (stays) {
      const periodEnd = item.periodEnd!;
      const within = () => item.periodStart + r.between(DAY, periodEnd - item.periodStart - DAY);
      const roll = r.next();
      if (roll < 0.07 && current.interval === "month" && UPGRADE[current.slug]) {
        // An upgrade mid-period: the new item is charged and active at once, the old one ends.
        const upgradeAt = within();
        if (upgradeAt > end) return;
        const next = payer.newItem(UPGRADE[current.slug]!, upgradeAt);
        const { paidAt } = chargeWithRetries(ctx, payer, next, upgradeAt, "checkout", 0);
        payer.set(next, "active", paidAt! + 400);
        payer.set(item, "ended", paidAt! + 400 + r.int(-300, 300));
        item = next;
        current = next.plan;
        continue;
      }
      if (roll < 0.14 && DOWNGRADE[current.slug]) {
        // A downgrade at the period's end: the current item is canceled, the cheaper one upcoming.
        const decidedAt = within();
        if (decidedAt > end) return;
        const next = payer.newItem(DOWNGRADE[current.slug]!, periodEnd);
        payer.set(item, "canceled", decidedAt);
        payer.set(next, "upcoming", decidedAt + 300);
        if (periodEnd > end) return;
        const { paidAt } = chargeWithRetries(ctx, payer, next, periodEnd, "recurring", 0);
        payer.set(item, "ended", periodEnd);
        payer.set(next, "active", paidAt! + 300);
        item = next;
        current = next.plan;
        continue;
      }
      if (roll < 0.22) {
        // A cancellation: the plan runs to the period's end; a fifth change their mind before then.
        const canceledAt = within();
        if (canceledAt > end) return;
        payer.set(item, "canceled", canceledAt);
        payer.set(payer.free, "upcoming", canceledAt + 200);
        if (r.chance(0.2)) {
          const undoAt = canceledAt + r.between(MINUTE, Math.max(MINUTE, periodEnd - canceledAt - DAY));
          if (undoAt > end) return;
          payer.set(item, "active", undoAt);
          payer.set(payer.free, "abandoned", undoAt + 200);
        } else {
          if (periodEnd > end) return;
          payer.set(item, "ended", periodEnd);
          payer.set(payer.free, "active", periodEnd + 200);
          stays = false;
          break;
        }
      }
      if (periodEnd > end) return;
      // The renewal, charged at the period's end and retried when it fails: three failures end it.
      const { paidAt } = chargeWithRetries(ctx, payer, item, periodEnd, "recurring", 0.12);
      if (paidAt === undefined) {
        payer.set(item, "ended", periodEnd + 9 * DAY);
        payer.set(payer.free, "active", periodEnd + 9 * DAY + 200);
        stays = false;
        break;
      }
      item.periodStart = periodEnd;
      item.periodEnd = addPeriod(periodEnd, current.interval);
      renewed(payer, item, paidAt + 300);
    }
    // Some come back later, on the same plan.
    if (!r.chance(0.3)) return;
    at = item.periodEnd! + r.exponential(40 * DAY);
  }
}

/** Subscriptions for some of the customers, from a while after they appear. */
export function billingHistory(ctx: BillingContext, customers: BillingCustomer[], share = 0.15): void {
  const r = ctx.random;
  for (const customer of customers) {
    if (!r.chance(share)) continue;
    const startAt = customer.since + r.exponential(20 * DAY) + r.between(MINUTE, DAY);
    if (startAt >= ctx.now) continue;
    subscribe(ctx, new Payer(ctx, customer), startAt);
  }
}
