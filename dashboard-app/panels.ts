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
  /** Drawn below the axis (MRR lost: contraction, churn). */
  negative?: boolean;
  /** An amount in the currency's minor units (cents for USD): shown in the currency's major units. */
  money?: boolean;
}

/** The parameters a panel may send; the servers relay these and nothing else (never Tinybird's `q`). */
export type PanelParam = RangeParam | UsersParam;
/** The parameters the page's range control sets. */
export type RangeParam = "start_date" | "end_date" | "granularity";
/** The users endpoint's filters: the users behind a figure (a retention cell, a churn period). */
export const USERS_FILTERS = [
  "created_from",
  "created_to",
  "active_from",
  "active_to",
  "churned_from",
  "churned_to",
  "churn_reason",
] as const;
/** The users section's search, sort, keyset and filters (never `offset`, `user_id` or a `token`). */
export type UsersParam =
  | "search"
  | "sort"
  | "order"
  | "limit"
  | "after_user_id"
  | "after_created_at"
  | "after_last_sign_in_at"
  | (typeof USERS_FILTERS)[number];

/** How long a relayed value may be (a date, a granularity, an id, a search), and a page's size. */
const MAX_VALUE = 64;
export const MAX_SEARCH = 64;
export const MAX_PAGE_SIZE = 200;

/** Why the relay refuses a declared parameter's value (undefined: it passes it on as it is). */
export function paramProblem(name: PanelParam, value: string): string | undefined {
  const max = name === "search" ? MAX_SEARCH : MAX_VALUE;
  if (value.length > max) return `${name} must be at most ${max} characters`;
  if (
    name === "limit" &&
    !(/^[0-9]{1,3}$/.test(value) && Number(value) >= 1 && Number(value) <= MAX_PAGE_SIZE)
  ) {
    return `limit must be a whole number from 1 to ${MAX_PAGE_SIZE} here (the dashboard pages its users)`;
  }
  return undefined;
}

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
  /** Tells apart two panels reading one endpoint (default: the endpoint). */
  id?: string;
  /** Parameters of fixed value the relay adds (e.g. `by=plan`): the page cannot change them. */
  fixed?: Record<string, string>;
  /**
   * Where the card goes: the auth cards, the headline strip on top, the Billing section (shown when
   * it has data), or a section of its own (retention's heat map, the users list).
   */
  section?: "headline" | "billing" | "retention" | "users";
  /**
   * How the card draws its rows inside the card's frame (title, state, numbers, CSV, endpoint):
   * a Chart.js chart (the default), the headline's tiles or retention's heat map.
   */
  view?: "chart" | "tiles" | "heatmap";
  /** The table's (and the CSV's) columns when they are not the x or categories and the series'. */
  columns?: string[];
  /** Columns holding a time as the endpoint gives it (`YYYY-MM-DD hh:mm:ss.sss`, UTC): headed so. */
  times?: string[];
  /** Columns holding a ratio (0..1) in every row besides the percent series': shown as a percent. */
  ratios?: string[];
  /** Where each row names its own unit (the headline's `unit`): these columns are ratios in a `ratio` row. */
  rowUnit?: { column: string; columns: string[] };
  /** The granularities the endpoint takes, when not all: a finer one asked for is sent as the next one. */
  granularities?: readonly Granularity[];
  /** The rows carry a `currency`: the panel shows the currency chosen in its section. */
  perCurrency?: boolean;
  /** Only the rows of the range's last period: a snapshot at the range's end. */
  lastPeriod?: boolean;
}

export const panelId = (panel: Panel) => panel.id ?? panel.endpoint;

export const PANELS: Panel[] = [
  {
    endpoint: "headline",
    section: "headline",
    view: "tiles",
    title: "Headline figures",
    subtitle: "Each figure over the range, and its change against the previous period of equal length",
    params: ["start_date", "end_date"],
    x: "figure",
    series: [{ key: "value", label: "Value", kind: "bar" }],
    ratios: ["change_ratio"],
    rowUnit: { column: "unit", columns: ["value", "previous_value", "change"] },
    columns: [
      "figure",
      "unit",
      "value",
      "previous_value",
      "change",
      "change_ratio",
      "start_date",
      "end_date",
      "previous_start_date",
      "previous_end_date",
    ],
  },
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
  // Drawn by retention-view.ts as a heat map in the card frame; its table and CSV hold every column.
  {
    endpoint: "retention",
    section: "retention",
    view: "heatmap",
    columns: ["cohort", "period", "period_number", "cohort_size", "active_users", "retention"],
    title: "Retention by sign-up cohort",
    subtitle: "Share of each cohort of sign-ups active in each following period",
    params: ["start_date", "end_date", "granularity"],
    granularities: ["week", "month"],
    x: "period_number",
    categories: ["cohort", "period_number"],
    series: [
      { key: "cohort_size", label: "Cohort size", kind: "bar" },
      { key: "active_users", label: "Active users", kind: "bar" },
      { key: "retention", label: "Retention", kind: "bar", percent: true },
    ],
  },
  // Listed by users-view.ts as a table in the card frame (no chart, its list is its numbers); it
  // sends its own parameters, not the range. Its table and CSV hold every column the endpoint gives.
  {
    endpoint: "users",
    section: "users",
    title: "Users",
    subtitle: "Search, sort and page through users, or list the users behind a figure",
    columns: [
      "user_id",
      "created_at",
      "deleted_at",
      "last_sign_in_at",
      "last_active_at",
      "days_active",
      "email_domain",
      "organizations",
    ],
    times: ["created_at", "deleted_at", "last_sign_in_at", "last_active_at"],
    params: [
      "search",
      "sort",
      "order",
      "limit",
      "after_user_id",
      "after_created_at",
      "after_last_sign_in_at",
      ...USERS_FILTERS,
    ],
    x: "user_id",
    series: [{ key: "days_active", label: "Days active", kind: "bar" }],
  },
  {
    endpoint: "billing_subscriptions",
    section: "billing",
    title: "MRR and its movements",
    subtitle:
      "New, reactivation and expansion MRR above the axis, contraction and churn below; MRR at each period's end on the right axis",
    params: ["start_date", "end_date", "granularity"],
    perCurrency: true,
    x: "period",
    series: [
      { key: "new_mrr", label: "New", kind: "bar", stack: "mrr", money: true },
      { key: "reactivation_mrr", label: "Reactivation", kind: "bar", stack: "mrr", money: true },
      { key: "expansion_mrr", label: "Expansion", kind: "bar", stack: "mrr", money: true },
      {
        key: "contraction_mrr",
        label: "Contraction",
        kind: "bar",
        stack: "mrr",
        money: true,
        negative: true,
      },
      { key: "churned_mrr", label: "Churn", kind: "bar", stack: "mrr", money: true, negative: true },
      { key: "mrr", label: "MRR", kind: "line", right: true, money: true },
    ],
  },
  {
    endpoint: "billing_subscriptions",
    id: "billing_plans",
    fixed: { by: "plan" },
    section: "billing",
    title: "Subscriptions by plan",
    subtitle: "Paid and trialing subscription items per plan and billing interval at the range's end",
    params: ["start_date", "end_date"],
    perCurrency: true,
    lastPeriod: true,
    x: "plan_name",
    categories: ["plan_name", "billing_interval"],
    series: [
      { key: "paid_items", label: "Paid", kind: "bar", stack: "items" },
      { key: "trialing_items", label: "Trialing", kind: "bar", stack: "items" },
    ],
  },
  {
    endpoint: "billing_trials",
    section: "billing",
    title: "Trial conversion",
    subtitle:
      "Free trials started per period, converted to paid or ended unpaid so far; conversion on the right axis",
    params: ["start_date", "end_date", "granularity"],
    x: "period",
    series: [
      { key: "trials_converted", label: "Converted", kind: "bar", stack: "trials" },
      { key: "trials_ended_unpaid", label: "Ended unpaid", kind: "bar", stack: "trials" },
      { key: "trials_open", label: "Still open", kind: "bar", stack: "trials" },
      { key: "conversion_rate", label: "Conversion", kind: "line", right: true, percent: true },
    ],
  },
  {
    endpoint: "billing_payments",
    section: "billing",
    title: "Failed payments",
    subtitle:
      "Payment attempts paid and failed per period (renewals and checkouts); amount paid on the right axis",
    params: ["start_date", "end_date", "granularity"],
    perCurrency: true,
    x: "period",
    series: [
      { key: "paid", label: "Paid", kind: "bar", stack: "attempts" },
      { key: "failed", label: "Failed", kind: "bar", stack: "attempts" },
      { key: "amount_paid", label: "Amount paid", kind: "line", right: true, money: true },
    ],
  },
];

export interface Range {
  start: string;
  end: string;
  granularity: Granularity;
}

const GRANULARITIES: readonly Granularity[] = ["day", "week", "month"];

/** The granularity a panel is asked for: the page's, or the next coarser one its endpoint takes (retention: day → week). */
export function panelGranularity(panel: Panel, granularity: Granularity): Granularity {
  const taken = panel.granularities ?? GRANULARITIES;
  return (
    GRANULARITIES.slice(GRANULARITIES.indexOf(granularity)).find((g) => taken.includes(g)) ?? granularity
  );
}

/** The query string a panel's endpoint gets for a range: the range parameters it declares, and its fixed ones. */
export function panelQuery(panel: Panel, range: Range): string {
  const values: Record<RangeParam, string> = {
    start_date: range.start,
    end_date: range.end,
    granularity: panelGranularity(panel, range.granularity),
  };
  return new URLSearchParams([
    ...panel.params.flatMap((name): [string, string][] =>
      name in values ? [[name, values[name as RangeParam]]] : [],
    ),
    ...Object.entries(panel.fixed ?? {}),
  ]).toString();
}

/** Where the page asks for a panel's rows, relative to the page (the server relays it to the endpoint). */
export function panelUrl(panel: Panel, range: Range): string {
  return `panels/${panelId(panel)}.json?${panelQuery(panel, range)}`;
}

/** What the page learns from its server: the Tinybird host the relay calls (never a token). */
export interface DashboardConfig {
  host: string;
}
export const CONFIG_PATH = "/dashboard-config.json";

/** The path of a panel's rows on the server: `/panels/<panel id>.json`. */
export const PANEL_PATH = /^\/panels\/([A-Za-z_][A-Za-z0-9_]*)\.json$/;

export type Row = Record<string, unknown>;

/** The x labels of a panel's rows. */
export function labels(panel: Panel, rows: Row[]): string[] {
  return rows.map((row) =>
    panel.categories ? panel.categories.map((c) => String(row[c])).join(": ") : String(row[panel.x]),
  );
}

/** A series' numbers (ratios as they come; the chart formats them; money in the currency's major units). */
export function values(series: Series, rows: Row[], currency = ""): number[] {
  const scale = (series.money ? 10 ** -minorDigits(currency) : 1) * (series.negative ? -1 : 1);
  return rows.map((row) => Number(row[series.key] ?? 0) * scale);
}

/** Digits after the decimal point in a currency's amounts (2 for USD, 0 for JPY); 2 when unknown. */
export function minorDigits(currency: string): number {
  try {
    return (
      new Intl.NumberFormat("en-US", { style: "currency", currency }).resolvedOptions()
        .maximumFractionDigits ?? 2
    );
  } catch {
    return 2;
  }
}

const lastPeriodOf = (rows: Row[]) =>
  rows
    .map((row) => String(row.period))
    .sort()
    .at(-1) ?? "";

/** The rows a panel draws: the chosen currency's, and only the last period's for a snapshot. */
export function panelRows(panel: Panel, rows: Row[], currency: string): Row[] {
  const mine = panel.perCurrency ? rows.filter((row) => row.currency === currency) : rows;
  if (!panel.lastPeriod) return mine;
  // A snapshot leaves out the categories with nothing in them (a plan nobody is on any more).
  const last = lastPeriodOf(mine);
  return mine.filter((row) => row.period === last && panel.series.some((s) => Number(row[s.key] ?? 0) !== 0));
}

/** The currencies of billing rows, the one with the most MRR at the range's end first. */
export function currencies(rows: Row[]): string[] {
  const last = lastPeriodOf(rows);
  const mrr = new Map<string, number>();
  for (const row of rows) {
    const currency = String(row.currency ?? "");
    if (currency === "") continue;
    mrr.set(currency, Math.max(mrr.get(currency) ?? 0, row.period === last ? Number(row.mrr ?? 0) : 0));
  }
  return [...mrr.keys()].sort((a, b) => mrr.get(b)! - mrr.get(a)! || (a < b ? -1 : 1));
}

/** No rows, or nothing but zeros in every series: the range has no events to show. */
export function isEmpty(panel: Panel, rows: Row[]): boolean {
  return rows.length === 0 || panel.series.every((s) => values(s, rows).every((v) => v === 0));
}

/** A period's figures are final: the endpoint says `complete` (a row without it, as billing's, is). */
export const isComplete = (row: Row) => row.complete !== false && row.complete !== 0;

/** The columns of a card's table and CSV: the panel's, and `complete` where the rows carry it. */
export function tableColumns(panel: Panel, rows: Row[]): string[] {
  const columns = panel.columns ?? [...(panel.categories ?? [panel.x]), ...panel.series.map((s) => s.key)];
  return rows.some((row) => "complete" in row) ? [...columns, "complete"] : columns;
}

type Unit = "ratio" | "money" | "plain";

function unitOf(panel: Panel, column: string, row?: Row): Unit {
  const series = panel.series.find((s) => s.key === column);
  if (series?.percent || panel.ratios?.includes(column)) return "ratio";
  if (series?.money) return "money";
  if (row && panel.rowUnit?.columns.includes(column) && row[panel.rowUnit.column] === "ratio") return "ratio";
  return "plain";
}

/** A column's header, saying its unit: the table's (`%`, the currency) or the CSV's (the raw values'). */
export function columnHeader(panel: Panel, column: string, currency: string, raw: boolean): string {
  const unit = unitOf(panel, column);
  if (unit === "ratio") return raw ? `${column} (ratio)` : `${column} (%)`;
  if (unit === "money" && currency !== "")
    return raw ? `${column} (${currency} minor units)` : `${column} (${currency})`;
  if (panel.times?.includes(column)) return `${column} (UTC)`;
  return column;
}

/** A number as the page shows it: a ratio as a percent, money in the currency's major units. */
export function formatValue(value: number, unit: Unit, currency = ""): string {
  if (unit === "ratio") return `${(value * 100).toFixed(1)}%`;
  if (unit === "money") {
    const digits = minorDigits(currency);
    return (value / 10 ** digits).toLocaleString("en-US", {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
  }
  return String(value);
}

/** A cell of a card's table: the value in the figure's one unit (the CSV keeps the raw value). */
export function cellText(panel: Panel, row: Row, column: string, currency: string): string {
  const value = row[column];
  if (column === "complete") return isComplete(row) ? "yes" : "no, so far";
  if (value === null || value === undefined) return "–";
  const unit = unitOf(panel, column, row);
  return unit === "plain" || typeof value !== "number" ? String(value) : formatValue(value, unit, currency);
}

const csvField = (value: unknown) => {
  // A list (a user's organizations) as the endpoint's JSON gives it: one field, read back by any JSON parser.
  const text =
    value === null || value === undefined ? "" : Array.isArray(value) ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** A card's numbers as CSV (RFC 4180): the rows drawn, the table's columns, the endpoint's raw values. */
export function csv(panel: Panel, rows: Row[], currency: string): string {
  const columns = tableColumns(panel, rows);
  const lines = [
    columns.map((c) => csvField(columnHeader(panel, c, currency, true))).join(","),
    ...rows.map((row) => columns.map((c) => csvField(row[c])).join(",")),
  ];
  return `${lines.join("\r\n")}\r\n`;
}

/** The endpoint a card reads, as Tinybird serves it (what the relay calls, without the token). */
export function endpointUrl(host: string, panel: Panel, query: string): string {
  return `${host.replace(/\/+$/, "")}/v0/pipes/${panel.endpoint}.json?${query}`;
}

/** The same call from a shell: the read token from the environment, never written out. */
export const curlLine = (url: string) =>
  `curl -H "Authorization: Bearer $TINYBIRD_READ_TOKEN" '${url.replaceAll("'", "'\\''")}'`;
