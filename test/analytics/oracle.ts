/**
 * The analytics figures computed directly in TypeScript from the generated Clerk events (one entry
 * per event, no re-deliveries), with the definitions the pipes' descriptions state. The pipes' SQL is
 * checked against these; nothing here reads SQL or the stored rows.
 */
import type { StoredEvent } from "../../local/synthetic-history";

export type Params = Record<string, string | undefined>;
export type Granularity = "day" | "week" | "month";

const DAY = 86_400_000;
// `session.removed` is the user signing out (Clerk's SessionStatus); `session.revoked` is the application.
const ACTIVITY = new Set(["session.created", "session.pending", "session.ended", "session.removed"]);

/** `YYYY-MM-DD` of an epoch-millisecond instant, UTC. */
export const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
export const addDays = (day: string, n: number) => dayOf(Date.parse(`${day}T00:00:00Z`) + n * DAY);

export function periodOf(day: string, granularity: Granularity): string {
  if (granularity === "month") return `${day.slice(0, 7)}-01`;
  if (granularity === "week") {
    const weekday = new Date(`${day}T00:00:00Z`).getUTCDay(); // 0 = Sunday
    return addDays(day, -((weekday + 6) % 7));
  }
  return day;
}

/** The last day of the period starting on `period`. */
function periodEnd(period: string, granularity: Granularity): string {
  if (granularity === "week") return addDays(period, 6);
  if (granularity === "month") {
    const [y, m] = period.split("-").map(Number) as [number, number];
    return dayOf(Date.UTC(y, m, 1) - DAY);
  }
  return period;
}

export interface Range {
  start: string;
  end: string;
  today: string;
  granularity: Granularity;
  days: string[];
  periods: string[];
}

/** Ranges already built: the edge-range sweep asks every oracle for the same ones, two of 65,536 days. */
const builtRanges = new Map<string, Range>();

export function reportRange(params: Params, defaultDays: number, now: Date): Range {
  const key = JSON.stringify([params.start_date, params.end_date, params.granularity, defaultDays, +now]);
  if (!builtRanges.has(key)) builtRanges.set(key, buildRange(params, defaultDays, now));
  return builtRanges.get(key)!;
}

function buildRange(params: Params, defaultDays: number, now: Date): Range {
  const today = dayOf(now.getTime());
  // Defaults: the range ends today, or on start_date when that is later; it starts defaultDays
  // before its end.
  const end =
    params.end_date ??
    (params.start_date !== undefined && params.start_date > today ? params.start_date : today);
  const start = params.start_date ?? addDays(end, -(defaultDays - 1));
  const granularity = (params.granularity ?? "day") as Granularity;
  const days: string[] = [];
  const [first, last] = [Date.parse(`${start}T00:00:00Z`), Date.parse(`${end}T00:00:00Z`)];
  for (let t = first; t <= last; t += DAY) days.push(dayOf(t));
  const periods = [...new Set(days.map((d) => periodOf(d, granularity)))];
  // Shared between callers: frozen, so that one changing it fails rather than misleads the next.
  return Object.freeze({
    start,
    end,
    today,
    granularity,
    days: Object.freeze(days),
    periods: Object.freeze(periods),
  }) as Range;
}

/** A period is complete when all its days are inside the range and over (before today). */
export function isComplete(range: Range, period: string): boolean {
  const last = periodEnd(period, range.granularity);
  return period >= range.start && last <= range.end && last < range.today;
}

const eventDay = (e: StoredEvent) => dayOf(e.timestamp);
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

function tally<K extends string>(range: Range, keys: readonly K[]) {
  const counts = new Map(
    range.periods.map((p) => [p, Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>]),
  );
  return {
    add(day: string, key: K, by = 1) {
      if (day < range.start || day > range.end) return false;
      counts.get(periodOf(day, range.granularity))![key] += by;
      return true;
    },
    rows: () =>
      [...counts.entries()].map(([period, c]) => ({ period, ...c, complete: isComplete(range, period) })),
  };
}

/** Per period: events of `addType` and `removeType`, their difference, and the running total. */
function growth(events: StoredEvent[], range: Range, addType: string, removeType: string) {
  const counts = tally(range, ["added", "removed"] as const);
  let total = 0;
  for (const e of events) {
    const sign = e.type === addType ? 1 : e.type === removeType ? -1 : 0;
    if (sign === 0) continue;
    if (eventDay(e) < range.start) total += sign;
    counts.add(eventDay(e), sign > 0 ? "added" : "removed");
  }
  return counts.rows().map((r) => {
    total += r.added - r.removed;
    return { ...r, net: r.added - r.removed, total };
  });
}

export function userGrowth(events: StoredEvent[], params: Params, now: Date) {
  return growth(events, reportRange(params, 90, now), "user.created", "user.deleted").map((r) => ({
    period: r.period,
    signups: r.added,
    deletions: r.removed,
    net_growth: r.net,
    total_users: r.total,
    complete: r.complete,
  }));
}

export function organizationGrowth(events: StoredEvent[], params: Params, now: Date) {
  const range = reportRange(params, 90, now);
  const memberships = growth(
    events,
    range,
    "organizationMembership.created",
    "organizationMembership.deleted",
  );
  return growth(events, range, "organization.created", "organization.deleted").map((o, i) => {
    const m = memberships[i]!;
    return {
      period: o.period,
      organizations_created: o.added,
      organizations_deleted: o.removed,
      net_organizations: o.net,
      total_organizations: o.total,
      memberships_added: m.added,
      memberships_removed: m.removed,
      net_memberships: m.net,
      total_memberships: m.total,
      complete: o.complete,
    };
  });
}

/** For each user, the set of days they were active (a session created, pending, ended or removed). */
function activeDays(events: StoredEvent[]): Map<string, Set<string>> {
  const byUser = new Map<string, Set<string>>();
  for (const e of events) {
    const userId: string = e.data.user_id ?? "";
    if (!ACTIVITY.has(e.type) || userId === "") continue;
    if (!byUser.has(userId)) byUser.set(userId, new Set());
    byUser.get(userId)!.add(eventDay(e));
  }
  return byUser;
}

export function activeUsers(events: StoredEvent[], params: Params, now: Date) {
  const range = reportRange(params, 30, now);
  const activity = activeDays(events);
  const signIns = new Map<string, number>();
  for (const e of events) {
    if (e.type === "session.created") signIns.set(eventDay(e), (signIns.get(eventDay(e)) ?? 0) + 1);
  }
  const activeWithin = (from: string, to: string) =>
    [...activity.values()].filter((days) => [...days].some((d) => d >= from && d <= to)).length;
  // Days more than 29 days away from any activity have no active user: skip the counting there, so
  // that a range of 65,536 days stays quick.
  const allDays = [...activity.values()].flatMap((days) => [...days]).sort();
  const [first, last] = [allDays[0] ?? "9999-12-31", addDays(allDays.at(-1) ?? "0000-01-01", 29)];
  return range.days.map((day) => {
    const quiet = day < first || day > last;
    const dau = quiet ? 0 : activeWithin(day, day);
    const mau = quiet ? 0 : activeWithin(addDays(day, -29), day);
    return {
      day,
      dau,
      wau: quiet ? 0 : activeWithin(addDays(day, -6), day),
      mau,
      stickiness: mau === 0 ? 0 : round4(dau / mau),
      sign_ins: signIns.get(day) ?? 0,
      complete: day < range.today,
    };
  });
}

/** Each user's first day of `type` (`user.created`, `user.deleted`), by user id. */
function firstDayOf(events: StoredEvent[], type: string): Map<string, string> {
  const days = new Map<string, string>();
  for (const e of events) {
    if (e.type !== type) continue;
    const previous = days.get(e.data.id);
    if (previous === undefined || eventDay(e) < previous) days.set(e.data.id, eventDay(e));
  }
  return days;
}

/**
 * The days a user churned by inactivity: `inactiveDays` after an active day with no activity in
 * between, up to `lastCountable`, unless deleted by then (a deletion is counted as such).
 */
function inactivityChurns(
  activeDaySet: Set<string>,
  inactiveDays: number,
  lastCountable: string,
  deletedDay: string | undefined,
): string[] {
  const days = [...activeDaySet].sort();
  return days
    .map((day, i) => ({ churnDay: addDays(day, inactiveDays), next: days[i + 1] }))
    .filter(({ churnDay, next }) => next === undefined || next > churnDay)
    .map(({ churnDay }) => churnDay)
    .filter((c) => c <= lastCountable && (deletedDay === undefined || deletedDay > c));
}

export function churn(events: StoredEvent[], params: Params, now: Date) {
  const range = reportRange(params, 90, now);
  const inactiveDays = Number(params.inactive_days ?? 30);
  const deletedOn = firstDayOf(events, "user.deleted");
  const deleted = new Map(range.periods.map((p) => [p, new Set<string>()]));
  const inactive = new Map(range.periods.map((p) => [p, new Set<string>()]));
  for (const [userId, day] of deletedOn) {
    if (day >= range.start && day <= range.end) deleted.get(periodOf(day, range.granularity))!.add(userId);
  }
  const lastCountable = [range.end, range.today].sort()[0]!;
  for (const [userId, daySet] of activeDays(events)) {
    for (const churnDay of inactivityChurns(daySet, inactiveDays, lastCountable, deletedOn.get(userId))) {
      if (churnDay >= range.start) inactive.get(periodOf(churnDay, range.granularity))!.add(userId);
    }
  }
  return range.periods.map((period) => ({
    period,
    users_deleted: deleted.get(period)!.size,
    users_inactive: inactive.get(period)!.size,
    inactive_days: inactiveDays,
    complete: isComplete(range, period),
  }));
}

/**
 * Retention by sign-up cohort: per cohort (the week or month of the users' first creation, within
 * the range) and per period from the sign-up one to the one holding today, the cohort's users
 * active in it.
 */
export function retention(events: StoredEvent[], params: Params, now: Date) {
  const range = reportRange({ granularity: "week", ...params }, 90, now);
  const activity = activeDays(events);
  const cohorts = new Map<string, string[]>();
  for (const [userId, day] of firstDayOf(events, "user.created")) {
    if (day < range.start || day > range.end) continue;
    const cohort = periodOf(day, range.granularity);
    cohorts.set(cohort, [...(cohorts.get(cohort) ?? []), userId]);
  }
  const current = periodOf(range.today, range.granularity);
  return [...cohorts.keys()].sort().flatMap((cohort) => {
    const members = cohorts.get(cohort)!;
    const cohortEnd = periodEnd(cohort, range.granularity);
    const rows = [];
    for (let period = cohort, n = 0; period <= current || n === 0; n++) {
      const periodLast = periodEnd(period, range.granularity);
      const active = members.filter((u) =>
        [...(activity.get(u) ?? [])].some((d) => d >= period && d <= periodLast),
      ).length;
      rows.push({
        cohort,
        cohort_size: members.length,
        period_number: n,
        period,
        active_users: active,
        retention: round4(active / members.length),
        complete: cohort >= range.start && cohortEnd <= range.end && periodLast < range.today,
        created_from: [cohort, range.start].sort()[1]!,
        created_to: [cohortEnd, range.end].sort()[0]!,
        active_from: period,
        active_to: periodLast,
      });
      period = addDays(periodLast, 1);
    }
    return rows;
  });
}

/** The headline figures of a range and of the previous period of equal length. */
export function headline(events: StoredEvent[], params: Params, now: Date) {
  const range = reportRange(params, 30, now);
  const inactiveDays = Number(params.inactive_days ?? 30);
  const length = range.days.length;
  const previous = { start: addDays(range.start, -length), end: addDays(range.start, -1) };
  const created = firstDayOf(events, "user.created");
  const deleted = firstDayOf(events, "user.deleted");
  const orgsCreated = firstDayOf(events, "organization.created");
  const orgsDeleted = firstDayOf(events, "organization.deleted");
  const activity = activeDays(events);
  const countUpTo = (days: Map<string, string>, last: string) =>
    [...days.values()].filter((d) => d <= last).length;
  const countIn = (days: Map<string, string>, from: string, to: string) =>
    [...days.values()].filter((d) => d >= from && d <= to).length;
  const activeIn = (from: string, to: string) =>
    [...activity.values()].filter((days) => [...days].some((d) => d >= from && d <= to)).length;
  const figures = ({ start, end }: { start: string; end: string }) => {
    const lastCountable = [end, range.today].sort()[0]!;
    let userDays = 0;
    for (const days of activity.values()) userDays += [...days].filter((d) => d >= start && d <= end).length;
    let daysSoFar = 0;
    for (let d = start; d <= lastCountable; d = addDays(d, 1)) daysSoFar++;
    const dau = daysSoFar === 0 ? 0 : userDays / daysSoFar;
    const mau = activeIn(addDays(end, -29), end);
    const churned = new Set([...deleted].filter(([, d]) => d >= start && d <= end).map(([u]) => u));
    for (const [userId, days] of activity) {
      const churns = inactivityChurns(days, inactiveDays, lastCountable, deleted.get(userId));
      if (churns.some((c) => c >= start)) churned.add(userId);
    }
    return {
      total_users: countUpTo(created, end) - countUpTo(deleted, end),
      new_users: countIn(created, start, end),
      active_users: activeIn(start, end),
      dau: Math.round(dau * 100) / 100,
      mau,
      stickiness: mau === 0 ? 0 : round4(dau / mau),
      churned_users: churned.size,
      total_organizations: countUpTo(orgsCreated, end) - countUpTo(orgsDeleted, end),
      new_organizations: countIn(orgsCreated, start, end),
    };
  };
  const [now_, before] = [figures(range), figures(previous)];
  const units: Record<keyof typeof now_, string> = {
    total_users: "users",
    new_users: "users",
    active_users: "users",
    dau: "users_per_day",
    mau: "users",
    stickiness: "ratio",
    churned_users: "users",
    total_organizations: "organizations",
    new_organizations: "organizations",
  };
  return (Object.keys(units) as (keyof typeof now_)[]).map((figure) => ({
    figure,
    unit: units[figure],
    value: now_[figure],
    previous_value: before[figure],
    change: round4(now_[figure] - before[figure]),
    change_ratio: before[figure] === 0 ? null : round4((now_[figure] - before[figure]) / before[figure]),
    start_date: range.start,
    end_date: range.end,
    previous_start_date: previous.start,
    previous_end_date: previous.end,
    complete: range.end < range.today,
  }));
}

export function authFriction(events: StoredEvent[], params: Params, now: Date) {
  const range = reportRange(params, 30, now);
  const rows = new Map(
    range.periods.map((period) => [
      period,
      {
        sessions: {} as Record<string, number>,
        revokedUsers: new Set<string>(),
        lockedUsers: new Set<string>(),
        messages: { email: {} as Record<string, number>, sms: {} as Record<string, number> },
      },
    ]),
  );
  for (const e of events) {
    const day = eventDay(e);
    if (day < range.start || day > range.end) continue;
    const row = rows.get(periodOf(day, range.granularity))!;
    if (e.type.startsWith("session.")) {
      row.sessions[e.type] = (row.sessions[e.type] ?? 0) + 1;
      if (e.type === "session.revoked") row.revokedUsers.add(e.data.user_id);
    } else if (e.type === "user.updated" && e.data.locked === true) {
      row.lockedUsers.add(e.data.id);
    } else if (e.type === "email.created" || e.type === "sms.created") {
      const statuses = row.messages[e.type === "email.created" ? "email" : "sms"];
      const status: string = e.data.status ?? "";
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  }
  const total = (statuses: Record<string, number>) => Object.values(statuses).reduce((a, b) => a + b, 0);
  return [...rows.entries()].map(([period, row]) => {
    const emails = total(row.messages.email);
    const sms = total(row.messages.sms);
    return {
      period,
      sign_ins: row.sessions["session.created"] ?? 0,
      sessions_pending: row.sessions["session.pending"] ?? 0,
      sessions_ended: row.sessions["session.ended"] ?? 0,
      sessions_removed: row.sessions["session.removed"] ?? 0,
      sessions_revoked: row.sessions["session.revoked"] ?? 0,
      users_with_revoked_sessions: row.revokedUsers.size,
      users_locked: row.lockedUsers.size,
      emails,
      email_statuses: row.messages.email,
      sms,
      sms_statuses: row.messages.sms,
      complete: isComplete(range, period),
    };
  });
}

/** The (dimension, method) pairs one user profile shows. */
function profileMethods(profile: Record<string, any>): [string, string][] {
  const strategies = (items: any[]) =>
    [
      ...new Set(items.map((i) => i?.verification?.strategy ?? "").filter((s: string) => s !== "")),
    ] as string[];
  const providers = [...new Set((profile.external_accounts as any[]).map((a) => a.provider ?? ""))].filter(
    Boolean,
  );
  const factors: [string, boolean][] = [
    ["password", profile.password_enabled === true],
    ["passkey", profile.passkeys.length > 0],
    ["two_factor", profile.two_factor_enabled === true],
    ["totp", profile.totp_enabled === true],
    ["backup_code", profile.backup_code_enabled === true],
    ["web3_wallet", profile.web3_wallets.length > 0],
    ["enterprise_sso", profile.enterprise_accounts.length + profile.saml_accounts.length > 0],
  ];
  return [
    ...strategies(profile.email_addresses).map((s): [string, string] => ["email_verification", s]),
    ...strategies(profile.phone_numbers).map((s): [string, string] => ["phone_verification", s]),
    ...providers.map((p): [string, string] => ["oauth_provider", p as string]),
    ...factors.filter(([, on]) => on).map(([name]): [string, string] => ["factor", name]),
  ];
}

export function signInMethods(events: StoredEvent[], params: Params, now: Date) {
  const range = reportRange(params, 90, now);
  const inRange = (e: StoredEvent) => eventDay(e) >= range.start && eventDay(e) <= range.end;
  const deletedUsers = new Set(
    events.filter((e) => e.type === "user.deleted" && eventDay(e) <= range.end).map((e) => e.data.id),
  );
  const latest = new Map<string, StoredEvent>();
  for (const e of events) {
    if ((e.type !== "user.created" && e.type !== "user.updated") || !inRange(e)) continue;
    const seen = latest.get(e.data.id);
    if (!seen || e.timestamp > seen.timestamp) latest.set(e.data.id, e);
  }
  const profiles = [...latest.values()].filter((e) => !deletedUsers.has(e.data.id));

  const users = new Map<string, Set<string>>();
  const add = (dimension: string, method: string, userId: string) => {
    const key = `${dimension}\0${method}`;
    if (!users.has(key)) users.set(key, new Set());
    users.get(key)!.add(userId);
  };
  for (const e of profiles) for (const [d, m] of profileMethods(e.data)) add(d, m, e.data.id);
  const signedIn = new Set<string>();
  for (const e of events) {
    if (e.type !== "session.created" || !inRange(e) || !e.data.user_id) continue;
    signedIn.add(e.data.user_id);
    add("device_type", e.data.latest_activity?.device_type || "unknown", e.data.user_id);
  }
  return [...users.entries()]
    .map(([key, ids]) => {
      const [dimension, method] = key.split("\0") as [string, string];
      const population = dimension === "device_type" ? signedIn.size : profiles.length;
      return { dimension, method, users: ids.size, share: round4(ids.size / population) };
    })
    .sort((a, b) =>
      a.dimension !== b.dimension
        ? a.dimension < b.dimension
          ? -1
          : 1
        : b.users - a.users || (a.method < b.method ? -1 : a.method > b.method ? 1 : 0),
    );
}

/** ClickHouse's text for a DateTime64(3) in UTC: `2025-03-31 15:00:00.000`. */
const dateTime64 = (ms: number | undefined) =>
  ms === undefined ? null : new Date(ms).toISOString().replace("T", " ").replace("Z", "");

/**
 * The users table: one row per user any user or activity event names, ordered by user id, or as
 * `params` filter and sort it (the users endpoint's filters: search, email_domain, created_*,
 * active_*, churned_* with churn_reason and inactive_days; sort and order). `now` is needed for the
 * churn filters only (inactivity counts up to today).
 */
export function users(events: StoredEvent[], params: Params = {}, now = new Date()) {
  type Row = {
    created?: number;
    deleted?: number;
    signIn?: number;
    active?: number;
    days: Set<string>;
    profileAt?: number;
    domain: string;
  };
  const rows = new Map<string, Row>();
  const row = (id: string) => {
    if (!rows.has(id)) rows.set(id, { days: new Set(), domain: "" });
    return rows.get(id)!;
  };
  const min = (a: number | undefined, b: number) => (a === undefined ? b : Math.min(a, b));
  const max = (a: number | undefined, b: number) => (a === undefined ? b : Math.max(a, b));
  for (const e of events) {
    if (e.type.startsWith("user.") && e.data.id) {
      const r = row(e.data.id);
      if (e.type === "user.created") r.created = min(r.created, e.timestamp);
      if (e.type === "user.deleted") r.deleted = min(r.deleted, e.timestamp);
      if (e.type !== "user.deleted" && (r.profileAt === undefined || e.timestamp > r.profileAt)) {
        r.profileAt = e.timestamp;
        const primary = (e.data.email_addresses as any[]).find(
          (a) => a.id === e.data.primary_email_address_id,
        );
        r.domain = String(primary?.email_address ?? "")
          .split("@")
          .at(-1)!;
      }
    } else if (ACTIVITY.has(e.type) && e.data.user_id) {
      const r = row(e.data.user_id);
      if (e.type === "session.created") r.signIn = max(r.signIn, e.timestamp);
      r.active = max(r.active, e.timestamp);
      r.days.add(eventDay(e));
    }
  }
  const memberships = new Map<string, { user: string; org: string; created: boolean; deleted: boolean }>();
  for (const e of events) {
    if (!e.type.startsWith("organizationMembership.")) continue;
    const m = memberships.get(e.data.id) ?? {
      user: e.data.public_user_data.user_id,
      org: e.data.organization.id,
      created: false,
      deleted: false,
    };
    if (e.type === "organizationMembership.created") m.created = true;
    if (e.type === "organizationMembership.deleted") m.deleted = true;
    memberships.set(e.data.id, m);
  }
  const organizations = new Map<string, Set<string>>();
  for (const m of memberships.values()) {
    if (!m.created || m.deleted) continue;
    if (!organizations.has(m.user)) organizations.set(m.user, new Set());
    organizations.get(m.user)!.add(m.org);
  }
  const today = dayOf(now.getTime());
  const inactiveDays = Number(params.inactive_days ?? 30);
  const within = (day: string | undefined, from = "1970-01-01", to = "2149-06-06") =>
    day !== undefined && day >= from && day <= to;
  const dayOfMs = (ms: number | undefined) => (ms === undefined ? undefined : dayOf(ms));
  const churned = (r: Row) => {
    const [from, to] = [params.churned_from ?? "1970-01-01", params.churned_to ?? "2149-06-06"];
    const deletedDay = dayOfMs(r.deleted);
    const byDeletion = params.churn_reason !== "inactive" && within(deletedDay, from, to);
    const lastCountable = [to, today].sort()[0]!;
    const byInactivity =
      params.churn_reason !== "deleted" &&
      inactivityChurns(r.days, inactiveDays, lastCountable, deletedDay).some((c) => c >= from);
    return byDeletion || byInactivity;
  };
  const has = (...names: string[]) => names.some((n) => params[n] !== undefined);
  const search = params.search?.toLowerCase();
  const filtered = [...rows.entries()].filter(
    ([id, r]) =>
      (search === undefined ||
        id.toLowerCase().includes(search) ||
        r.domain.toLowerCase().includes(search)) &&
      (params.email_domain === undefined || r.domain.toLowerCase() === params.email_domain.toLowerCase()) &&
      (!has("created_from", "created_to") ||
        within(dayOfMs(r.created), params.created_from, params.created_to)) &&
      (!has("active_from", "active_to") ||
        [...r.days].some((d) => within(d, params.active_from, params.active_to))) &&
      (!has("churned_from", "churned_to", "churn_reason") || churned(r)),
  );
  // Sorted on (value, user id), users without the value last, in the order asked.
  const value = (r: Row) =>
    params.sort === "created_at" ? r.created : params.sort === "last_sign_in_at" ? r.signIn : 0;
  const sign = params.order === "desc" ? -1 : 1;
  const compare = ([a, ra]: [string, Row], [b, rb]: [string, Row]) => {
    const [va, vb] = [value(ra), value(rb)];
    if (va === undefined || vb === undefined) {
      if (va !== vb) return va === undefined ? 1 : -1;
    } else if (va !== vb) return sign * (va - vb);
    return sign * (a < b ? -1 : a > b ? 1 : 0);
  };
  return filtered.sort(compare).map(([user_id, r]) => ({
    user_id,
    created_at: dateTime64(r.created),
    deleted_at: dateTime64(r.deleted),
    last_sign_in_at: dateTime64(r.signIn),
    last_active_at: dateTime64(r.active),
    days_active: r.days.size,
    email_domain: r.domain,
    organizations: [...(organizations.get(user_id) ?? [])].sort(),
  }));
}

/**
 * delivered_events: the distinct events whose time is in [start_time, end_time) (default the day
 * ending now), by event id, after `after_event_id`, at most `limit` (default 10000).
 */
export function deliveredEvents(events: StoredEvent[], params: Params, now: Date) {
  const at = (text: string) => Date.parse(`${text.replace(" ", "T")}Z`);
  const end = params.end_time ? at(params.end_time) : now.getTime();
  const start = params.start_time ? at(params.start_time) : end - DAY;
  return events
    .filter((e) => e.timestamp >= start && e.timestamp < end)
    .filter((e) => params.after_event_id === undefined || e.event_id > params.after_event_id)
    .sort((a, b) => (a.event_id < b.event_id ? -1 : 1))
    .slice(0, Number(params.limit ?? 10_000))
    .map((e) => ({ event_id: e.event_id, event_type: e.type, event_time: dateTime64(e.timestamp) }));
}
