/**
 * The page's view in its URL, so a reload or a shared link shows the same thing: the range (`days`,
 * or `start_date` and `end_date`), `granularity`, `section` and `currency`. Reading it never fails:
 * a bad parameter becomes a sentence naming it, and the default takes its place. Plain functions,
 * no DOM, so they are checked without a browser.
 */
import type { Granularity } from "./panels";

export const DEFAULT_DAYS = 90;
/** The endpoints' calendar (Date32 as Tinybird documents it). */
export const FIRST_DAY = "1970-01-01";
export const LAST_DAY = "2149-06-06";
const MAX_DAYS = 36_500;
export const DAY_MS = 86_400_000;
const GRANULARITIES: readonly Granularity[] = ["day", "week", "month"];

export interface ViewState {
  start: string;
  end: string;
  /** Set when the range is "the last N days" (kept as such in the URL, so a link stays current). */
  days?: number;
  granularity: Granularity;
  /** The section shown (its element's id); none for the top of the page. */
  section?: string;
  /** The Billing section's currency; none for the one with the most MRR. */
  currency?: string;
}

/** The parameters this module owns; any other in the URL (a section's own) is left as it is. */
export const VIEW_PARAMS = ["days", "start_date", "end_date", "granularity", "section", "currency"];

/** `YYYY-MM-DD` (UTC) of an epoch-milliseconds time. */
export const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** `YYYY-MM-DD` of a real calendar day within the endpoints' calendar, or undefined. */
export function calendarDay(text: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || text < FIRST_DAY || text > LAST_DAY) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(ms) || day(ms) !== text ? undefined : text;
}

/** The `days` days ending `today` (UTC), inclusive, clipped to the calendar's first day. */
export function lastDays(today: Date, days: number): { start: string; end: string } {
  const end = day(today.getTime());
  const start = day(today.getTime() - (days - 1) * DAY_MS);
  return { start: start < FIRST_DAY ? FIRST_DAY : start, end };
}

/**
 * The view a query string asks for, and a sentence per parameter it could not use (naming the
 * parameter, its value and what is shown instead). `sections` are the ids `section` may name.
 */
export function readViewState(
  search: string,
  today: Date,
  sections: readonly string[],
): { state: ViewState; problems: string[] } {
  const params = new URLSearchParams(search);
  const problems: string[] = [];
  const shown = (value: string) => JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);

  let days = DEFAULT_DAYS;
  const daysText = params.get("days");
  if (daysText !== null) {
    const n = /^\d+$/.test(daysText) ? Number(daysText) : Number.NaN;
    if (n >= 1 && n <= MAX_DAYS) days = n;
    else {
      problems.push(
        `days=${shown(daysText)} is not a whole number of days from 1 to ${MAX_DAYS}: showing the last ${DEFAULT_DAYS} days.`,
      );
    }
  }
  const dateParam = (name: "start_date" | "end_date") => {
    const text = params.get(name);
    if (text === null) return undefined;
    const valid = calendarDay(text);
    if (!valid) {
      problems.push(
        `${name}=${shown(text)} is not a date from ${FIRST_DAY} to ${LAST_DAY} (YYYY-MM-DD): it is left out.`,
      );
    }
    return valid;
  };
  let start = dateParam("start_date");
  let end = dateParam("end_date");
  if (start && end && start > end) {
    problems.push(
      `start_date=${start} is after end_date=${end}: showing the last ${days} days; choose a start on or before the end.`,
    );
    start = undefined;
    end = undefined;
  }
  const recent = lastDays(today, days);
  const state: ViewState = { ...recent, granularity: "day" };
  if (start || end) {
    state.end = end ?? [recent.end, start!].sort()[1]!;
    state.start = start ?? day(Date.parse(`${state.end}T00:00:00Z`) - (DEFAULT_DAYS - 1) * DAY_MS);
    if (state.start < FIRST_DAY) state.start = FIRST_DAY;
  } else {
    state.days = days;
  }

  const granularity = params.get("granularity");
  if (granularity !== null) {
    if ((GRANULARITIES as readonly string[]).includes(granularity))
      state.granularity = granularity as Granularity;
    else
      problems.push(
        `granularity=${shown(granularity)} is not one of ${GRANULARITIES.join(", ")}: showing days.`,
      );
  }
  const section = params.get("section");
  if (section !== null) {
    if (sections.includes(section)) state.section = section;
    else problems.push(`section=${shown(section)} is not one of ${sections.join(", ")}: showing the top.`);
  }
  const currency = params.get("currency");
  if (currency !== null) {
    if (/^[A-Z]{3}$/.test(currency)) state.currency = currency;
    else problems.push(`currency=${shown(currency)} is not a currency code such as USD: it is left out.`);
  }
  return { state, problems };
}

/**
 * The query string of a view (`?…`), keeping the parameters of `current` this module does not own.
 * The range as `days` when it is "the last N days", else as its two dates.
 */
export function viewSearch(state: ViewState, current = ""): string {
  const params = new URLSearchParams(current);
  for (const name of VIEW_PARAMS) params.delete(name);
  const own = new URLSearchParams();
  if (state.days !== undefined) own.set("days", String(state.days));
  else {
    own.set("start_date", state.start);
    own.set("end_date", state.end);
  }
  own.set("granularity", state.granularity);
  if (state.section) own.set("section", state.section);
  if (state.currency) own.set("currency", state.currency);
  for (const [name, value] of params) own.append(name, value);
  return `?${own}`;
}
