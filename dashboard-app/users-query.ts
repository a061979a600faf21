/**
 * The users section's state as data: what it searches, how it sorts, which filter (the users behind
 * a figure) it applies, the keyset cursor of a page, the users endpoint's query for all that, and the
 * same state in the page's URL. No DOM, so it can be checked without a browser.
 */
import { type Granularity, MAX_PAGE_SIZE, MAX_SEARCH, type Range, type Row, USERS_FILTERS } from "./panels";
import { DAY_MS, day } from "./url-state";

export type UsersSort = "created_at" | "last_sign_in_at";
export type UsersOrder = "asc" | "desc";
export type FilterParam = (typeof USERS_FILTERS)[number];
/** The users behind a figure, as the users endpoint's filters (see its DESCRIPTION). */
export type UsersFilter = Partial<Record<FilterParam, string>>;

export interface UsersView {
  search: string;
  sort: UsersSort;
  order: UsersOrder;
  limit: number;
  filter: UsersFilter;
}

/** Where a page starts: after this row (keyset paging), as the endpoint's DESCRIPTION says. */
export type Cursor = Partial<Record<"after_user_id" | "after_created_at" | "after_last_sign_in_at", string>>;

export const PAGE_SIZES = [25, 50, 100] as const;
export const SORTS: readonly UsersSort[] = ["created_at", "last_sign_in_at"];
export const DEFAULT_VIEW: UsersView = {
  search: "",
  sort: "created_at",
  order: "desc",
  limit: 25,
  filter: {},
};

/**
 * The users endpoint's query for a page: one row more than the page shows, so the page knows whether
 * a next one exists. In the order the relay passes parameters on (the panel's), so the card's
 * endpoint URL is the very call the relay made.
 */
export function usersQuery(view: UsersView, cursor: Cursor = {}): URLSearchParams {
  const query = new URLSearchParams();
  if (view.search !== "") query.set("search", view.search);
  query.set("sort", view.sort);
  query.set("order", view.order);
  query.set("limit", String(view.limit + 1));
  for (const name of ["after_user_id", "after_created_at", "after_last_sign_in_at"] as const) {
    const value = cursor[name];
    if (value !== undefined) query.set(name, value);
  }
  for (const name of USERS_FILTERS) {
    const value = view.filter[name];
    if (value !== undefined && value !== "") query.set(name, value);
  }
  return query;
}

/** The same list: search, sort, order, page size and filter all equal. */
export function sameView(a: UsersView, b: UsersView): boolean {
  const filter = (view: UsersView) => JSON.stringify(USERS_FILTERS.map((name) => view.filter[name] ?? null));
  return (
    a.search === b.search &&
    a.sort === b.sort &&
    a.order === b.order &&
    a.limit === b.limit &&
    filter(a) === filter(b)
  );
}

/** "Download all matching" stops after this many users: 50 pages of the relay's largest. */
export const DOWNLOAD_CAP = 10_000;

/**
 * Every user the view matches, in its order, page after page by keyset (pages of the relay's largest
 * size, `MAX_PAGE_SIZE`), up to `cap`; `more` when others match beyond it. `fetchPage` gets each
 * page's query; `progress` the count so far after each page.
 */
export async function allMatching(
  view: UsersView,
  fetchPage: (query: URLSearchParams) => Promise<Row[]>,
  progress: (count: number) => void = () => {},
  cap = DOWNLOAD_CAP,
): Promise<{ rows: Row[]; more: boolean }> {
  const rows: Row[] = [];
  let cursor: Cursor = {};
  // One row past the cap tells whether more match.
  while (rows.length <= cap) {
    const size = Math.min(MAX_PAGE_SIZE, cap + 1 - rows.length);
    // usersQuery asks one more than the view's limit.
    const page = await fetchPage(usersQuery({ ...view, limit: size - 1 }, cursor));
    rows.push(...page.slice(0, size));
    progress(Math.min(rows.length, cap));
    if (page.length < size) break;
    cursor = nextCursor(view, page[size - 1]!);
  }
  return { rows: rows.slice(0, cap), more: rows.length > cap };
}

/** The cursor of the page after the one ending with `last`: its id, and its sort value when it has one. */
export function nextCursor(view: UsersView, last: Row): Cursor {
  const value = last[view.sort];
  const cursor: Cursor = { after_user_id: String(last.user_id) };
  if (value !== null && value !== undefined && value !== "") cursor[`after_${view.sort}`] = String(value);
  return cursor;
}

const span = (from?: string, to?: string) =>
  from === to
    ? `on ${from}`
    : from === undefined
      ? `until ${to}`
      : to === undefined
        ? `from ${from}`
        : `${from} – ${to}`;

/** The filter chip's words: "Signed up 2025-01-06 – 2025-01-12, active 2025-01-20 – 2025-01-26". */
export function filterLabel(filter: UsersFilter): string {
  const parts: string[] = [];
  if (filter.created_from || filter.created_to)
    parts.push(`signed up ${span(filter.created_from, filter.created_to)}`);
  if (filter.active_from || filter.active_to)
    parts.push(`active ${span(filter.active_from, filter.active_to)}`);
  if (filter.churned_from || filter.churned_to || filter.churn_reason) {
    const reason = { deleted: " (deleted)", inactive: " (gone inactive)" }[filter.churn_reason ?? ""] ?? "";
    parts.push(
      `churned${filter.churned_from || filter.churned_to ? ` ${span(filter.churned_from, filter.churned_to)}` : ""}${reason}`,
    );
  }
  const text = parts.join(", ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const utc = (date: string) => Date.parse(`${date}T00:00:00Z`);

/** The days of the period starting `period` (day, week or month), cut to the range, as churn counts them. */
export function periodDays(
  period: string,
  granularity: Granularity,
  range: Range,
): { from: string; to: string } {
  const start = utc(period);
  const first = new Date(start);
  const end =
    granularity === "day"
      ? start
      : granularity === "week"
        ? start + 6 * DAY_MS
        : Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0);
  return { from: day(Math.max(start, utc(range.start))), to: day(Math.min(end, utc(range.end))) };
}

/** The users a churn period counts (all of them, or the deleted or the gone inactive only). */
export function churnFilter(
  period: string,
  granularity: Granularity,
  range: Range,
  reason?: "deleted" | "inactive",
): UsersFilter {
  const { from, to } = periodDays(period, granularity, range);
  return { churned_from: from, churned_to: to, ...(reason ? { churn_reason: reason } : {}) };
}

/** The section's state in the page's URL: `users_search`, `users_sort`, …, `users_created_from`, …. */
const KEY = (name: string) => `users_${name}`;

/** The view a URL asks for; a sort, order or page size the section does not offer falls back to its default. */
export function viewFromUrl(params: URLSearchParams): UsersView {
  const sort = params.get(KEY("sort")) as UsersSort;
  const order = params.get(KEY("order"));
  const limit = Number(params.get(KEY("limit")));
  const filter: UsersFilter = {};
  for (const name of USERS_FILTERS) {
    const value = params.get(KEY(name));
    if (value !== null && value !== "") filter[name] = value;
  }
  return {
    search: (params.get(KEY("search")) ?? "").slice(0, MAX_SEARCH),
    sort: SORTS.includes(sort) ? sort : DEFAULT_VIEW.sort,
    order: order === "asc" || order === "desc" ? order : DEFAULT_VIEW.order,
    limit: (PAGE_SIZES as readonly number[]).includes(limit) ? limit : DEFAULT_VIEW.limit,
    filter,
  };
}

/** The URL's parameters with the view's in place of any earlier ones (defaults left out); others kept. */
export function viewToUrl(view: UsersView, params: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams([...params].filter(([name]) => !name.startsWith(KEY(""))));
  if (view.search !== "") next.set(KEY("search"), view.search);
  if (view.sort !== DEFAULT_VIEW.sort) next.set(KEY("sort"), view.sort);
  if (view.order !== DEFAULT_VIEW.order) next.set(KEY("order"), view.order);
  if (view.limit !== DEFAULT_VIEW.limit) next.set(KEY("limit"), String(view.limit));
  for (const name of USERS_FILTERS) {
    const value = view.filter[name];
    if (value !== undefined) next.set(KEY(name), value);
  }
  return next;
}
