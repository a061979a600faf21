/**
 * What the dashboard shows: one panel per analytics endpoint, the parameters it takes and which of
 * its output columns become which series. Plain data, no DOM, so it can be checked without a browser.
 */

export type Granularity = "day" | "week" | "month";

export interface Series {
  /** Output column of the endpoint. */
  key: string;
  label: string;
  kind: "bar" | "line";
  /** Bars with the same stack are stacked. */
  stack?: string;
  /** Line on the right-hand axis (a total next to per-period counts). */
  right?: boolean;
  /** Shown as a percentage (ratios 0..1). */
  percent?: boolean;
}

/** The parameters a panel may send; the servers relay these and nothing else (never Tinybird's `q`). */
export type PanelParam = "start_date" | "end_date" | "granularity";

export interface Panel {
  endpoint: string;
  title: string;
  subtitle: string;
  /** The endpoint parameters the panel sends: `granularity` only where the endpoint groups by period. */
  params: readonly PanelParam[];
  /** Column of the x axis. */
  x: string;
  series: Series[];
  /** Categories instead of periods: each row one bar, labelled by these columns. */
  categories?: string[];
}

export const PANELS: Panel[] = [
  {
    endpoint: "user_growth",
    title: "Sign-ups and net growth",
    subtitle: "Users created and deleted per period; total users on the right axis",
    params: ["start_date", "end_date", "granularity"],
    x: "period",
    series: [
      { key: "signups", label: "Sign-ups", kind: "bar", stack: "users" },
      { key: "deletions", label: "Deletions", kind: "bar", stack: "deleted" },
      { key: "net_growth", label: "Net growth", kind: "line" },
      { key: "total_users", label: "Total users", kind: "line", right: true },
    ],
  },
  {
    endpoint: "organization_growth",
    title: "Organizations",
    subtitle: "Organizations and memberships created per period; totals on the right axis",
    params: ["start_date", "end_date", "granularity"],
    x: "period",
    series: [
      { key: "organizations_created", label: "Organizations created", kind: "bar", stack: "orgs" },
      { key: "memberships_added", label: "Memberships added", kind: "bar", stack: "members" },
      { key: "total_organizations", label: "Total organizations", kind: "line", right: true },
      { key: "total_memberships", label: "Total memberships", kind: "line", right: true },
    ],
  },
  {
    endpoint: "active_users",
    title: "Active users",
    subtitle: "DAU, WAU and MAU per day; stickiness (DAU/MAU) on the right axis",
    params: ["start_date", "end_date"],
    x: "day",
    series: [
      { key: "dau", label: "DAU", kind: "line" },
      { key: "wau", label: "WAU", kind: "line" },
      { key: "mau", label: "MAU", kind: "line" },
      { key: "stickiness", label: "Stickiness", kind: "line", right: true, percent: true },
    ],
  },
  {
    endpoint: "churn",
    title: "Churn",
    subtitle: "Users deleted and users gone inactive (no sign-in for the inactive days) per period",
    params: ["start_date", "end_date", "granularity"],
    x: "period",
    series: [
      { key: "users_deleted", label: "Deleted", kind: "bar", stack: "churn" },
      { key: "users_inactive", label: "Gone inactive", kind: "bar", stack: "churn" },
    ],
  },
  {
    endpoint: "auth_friction",
    title: "Auth friction",
    // Clerk sends e-mail/SMS events once, at creation: delivery failures are not in the data.
    subtitle: "Sessions revoked or left pending and users locked out per period; sign-ins on the right axis",
    params: ["start_date", "end_date", "granularity"],
    x: "period",
    series: [
      { key: "sessions_revoked", label: "Sessions revoked", kind: "bar", stack: "friction" },
      { key: "sessions_pending", label: "Sessions pending", kind: "bar", stack: "friction" },
      { key: "users_locked", label: "Users locked out", kind: "bar", stack: "friction" },
      { key: "sign_ins", label: "Sign-ins", kind: "line", right: true },
    ],
  },
  {
    endpoint: "sign_in_methods",
    title: "Sign-in methods",
    subtitle: "Users per verification strategy, OAuth provider, factor and device type",
    params: ["start_date", "end_date"],
    x: "method",
    categories: ["dimension", "method"],
    series: [{ key: "users", label: "Users", kind: "bar" }],
  },
];

export interface Range {
  start: string;
  end: string;
  granularity: Granularity;
}

/** The query string a panel sends for a range: only the parameters it declares. */
export function panelQuery(panel: Panel, range: Range): string {
  const values: Record<PanelParam, string> = {
    start_date: range.start,
    end_date: range.end,
    granularity: range.granularity,
  };
  return new URLSearchParams(panel.params.map((name): [string, string] => [name, values[name]])).toString();
}

/** Where the page asks for a panel's rows, relative to the page (the server relays it to the endpoint). */
export function panelUrl(panel: Panel, range: Range): string {
  return `panels/${panel.endpoint}.json?${panelQuery(panel, range)}`;
}

/** The path of a panel's rows on the server: `/panels/<endpoint>.json`. */
export const PANEL_PATH = /^\/panels\/([A-Za-z_][A-Za-z0-9_]*)\.json$/;

export type Row = Record<string, unknown>;

/** The x labels of a panel's rows. */
export function labels(panel: Panel, rows: Row[]): string[] {
  return rows.map((row) =>
    panel.categories ? panel.categories.map((c) => String(row[c])).join(": ") : String(row[panel.x]),
  );
}

/** A series' numbers (ratios as they come; the chart formats them). */
export function values(series: Series, rows: Row[]): number[] {
  return rows.map((row) => Number(row[series.key] ?? 0));
}

/** No rows, or nothing but zeros in every series: the range has no events to show. */
export function isEmpty(panel: Panel, rows: Row[]): boolean {
  return rows.length === 0 || panel.series.every((s) => values(s, rows).every((v) => v === 0));
}

/** `YYYY-MM-DD` of `days` before `today` (inclusive range ending today, UTC). */
export function lastDays(today: Date, days: number): Range {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const end = day(today.getTime());
  return { start: day(today.getTime() - (days - 1) * 86_400_000), end, granularity: "day" };
}
