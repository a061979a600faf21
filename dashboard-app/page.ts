/**
 * The dashboard page (runs in the browser, bundled by esbuild): headline tiles, a range and
 * granularity control, one card per panel (its frame in card.ts, its view a chart, tiles or
 * retention's heat map), the users section (users-view.ts, its own parameters and paging), and the
 * Billing cards in a section of their own, shown when billing events exist for the range, with a
 * currency choice. The view (range, granularity, section, currency) lives in the URL, so reload,
 * links and back restore it; a bad parameter is said in place and its default used. It asks its own
 * origin for each panel's rows (`panels/<panel id>.json`); the server behind it relays that to the
 * endpoint with the token it keeps, so no token is ever here.
 */
import {
  $,
  type CardView,
  cardFor,
  cardOf,
  clearNumbers,
  element,
  setState,
  showNumbers,
  showSource,
} from "./card";
import { chartView } from "./chart-view";
import { fetchRows } from "./fetch-rows";
import { headlineView } from "./headline-view";
import {
  CONFIG_PATH,
  currencies,
  type DashboardConfig,
  type Granularity,
  isEmpty,
  PANELS,
  type Panel,
  panelId,
  panelQuery,
  panelRows,
  panelUrl,
  type Range,
  type Row,
} from "./panels";
import { retentionView } from "./retention-view";
import { calendarDay, lastDays, readViewState, type ViewState, viewSearch } from "./url-state";
import { mountUsers, type UsersSection } from "./users-view";

/** What draws each kind of panel inside the card frame (a heat map cell lists its users below). */
const VIEWS: Record<NonNullable<Panel["view"]>, CardView> = {
  chart: chartView,
  tiles: headlineView,
  heatmap: retentionView({
    granularity: () => view.granularity,
    onCell: (filter) => users.open(filter),
  }),
};
const viewOf = (panel: Panel) => VIEWS[panel.view ?? "chart"];

/** Each panel's rows as the endpoint gave them (a currency change or a colour scheme redraws from these). */
const fetched = new Map<string, Row[]>();
let generation = 0;
let view: ViewState;
/** The Tinybird host the relay calls, for each card's endpoint URL and curl line. */
let host: Promise<string>;

/**
 * Where the frame places each section's cards; a panel of another section (a view that fetches and
 * draws on its own, as the users list) gets no card here and is not loaded by `fetchCards`.
 */
const PLACES: Record<string, string> = {
  headline: "#headline",
  overview: "#cards",
  retention: "#retention",
  billing: "#billing-cards",
};
const placeOf = (panel: Panel) => PLACES[panel.section ?? "overview"];
const CARDED = PANELS.filter((p) => placeOf(p) !== undefined);
const BILLING = PANELS.filter((p) => p.section === "billing");
const rangeOf = (state: ViewState): Range => ({
  start: state.start,
  end: state.end,
  granularity: state.granularity,
});
/** The ids `section=` may name: the page's top-level sections. */
const sections = () => [...document.querySelectorAll<HTMLElement>("main > section[id]")].map((s) => s.id);

async function load(panel: Panel, range: Range, run: number): Promise<void> {
  const card = cardOf(panel);
  setState(card, "loading", "Loading…");
  void host.then((h) => showSource(card, panel, h, panelQuery(panel, range)));
  let rows: Row[];
  try {
    rows = await fetchRows(panelUrl(panel, range));
  } catch (cause) {
    if (run !== generation) return;
    fetched.delete(panelId(panel));
    viewOf(panel).clear($(".view", card), panel);
    clearNumbers(card);
    setState(card, "error", `Could not load ${panel.endpoint}: ${(cause as Error).message}`);
    return;
  }
  if (run !== generation) return;
  fetched.set(panelId(panel), rows);
  render(panel);
}

/** Draws a panel from its fetched rows (the chosen currency's, for a per-currency panel). */
function render(panel: Panel): void {
  const card = cardOf(panel);
  const currency = view.currency ?? "";
  const rows = panelRows(panel, fetched.get(panelId(panel)) ?? [], currency);
  const area = $<HTMLElement>(".view", card);
  if (isEmpty(panel, rows)) {
    viewOf(panel).clear(area, panel);
    clearNumbers(card);
    setState(card, "empty", "No events in this range.");
    return;
  }
  const name = [panelId(panel), view.start, view.end, ...(panel.perCurrency ? [currency] : [])].join("_");
  setState(card, "data");
  showNumbers(card, panel, rows, currency, name);
  viewOf(panel).draw(area, panel, rows, currency);
  if (panel.endpoint === "churn") users.offerChurned(card, rows, rangeOf(view));
}

/**
 * The Billing section once its endpoints answered: hidden while no billing event is stored for the
 * range (unless the URL asks for it), else shown with a currency choice (the URL's, or the one with
 * the most MRR) when there are several.
 */
function showBilling(): void {
  const found = currencies(BILLING.flatMap((p) => (p.perCurrency ? (fetched.get(panelId(p)) ?? []) : [])));
  if (!found.includes(view.currency ?? "")) view.currency = found[0];
  const select = $<HTMLSelectElement>("#currency");
  select.replaceChildren(...found.map((c) => element("option", { value: c }, c)));
  select.value = view.currency ?? "";
  $<HTMLElement>("#currency-choice").hidden = found.length < 2;
  for (const panel of BILLING) if (fetched.has(panelId(panel))) render(panel);
  $<HTMLElement>("#billing").hidden =
    view.section !== "billing" && BILLING.every((p) => cardOf(p).dataset.state === "empty");
}

// The users list: a card with its own parameters and paging (users-view.ts), mounted in start().
let users: UsersSection;
/** The cards' last fetch (a navigation that keeps the range waits for it instead of fetching again). */
let cardsLoaded: Promise<unknown> = Promise.resolve();
/** The range the cards were last fetched for. */
let cardsRange = "";
let settling = 0;
const rangeKey = (state: ViewState) => `${state.start} ${state.end} ${state.granularity}`;

/** Fetches and draws every card for the view (not the users list: it does not depend on the range). */
function fetchCards(): Promise<unknown> {
  const run = ++generation;
  const range = rangeOf(view);
  cardsRange = rangeKey(view);
  cardsLoaded = Promise.all(CARDED.map((panel) => load(panel, range, run)));
  return cardsLoaded;
}

/**
 * Once what a change of view started has loaded: Billing shown or hidden, the place the URL names
 * scrolled to (`#users` after a drill-down, else the section) when `scroll`, the page marked loaded.
 */
async function settle(work: Promise<unknown>[], scroll: boolean): Promise<void> {
  const run = ++settling;
  document.body.dataset.loaded = "false";
  await Promise.all(work);
  if (run !== settling) return;
  showBilling();
  const place = location.hash === "#users" ? "users" : view.section;
  if (scroll && place) document.getElementById(place)?.scrollIntoView();
  $("#announce").textContent = `Showing ${view.start} to ${view.end} by ${view.granularity}.`;
  document.body.dataset.loaded = "true";
}

function showControls(): void {
  $<HTMLInputElement>("#start").value = view.start;
  $<HTMLInputElement>("#end").value = view.end;
  $<HTMLSelectElement>("#granularity").value = view.granularity;
  for (const button of document.querySelectorAll<HTMLButtonElement>("[data-days]")) {
    button.setAttribute("aria-pressed", String(Number(button.dataset.days) === view.days));
  }
  for (const link of document.querySelectorAll<HTMLAnchorElement>("#sections a")) {
    if (link.dataset.section === view.section) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
  }
}

function showProblems(problems: string[]): void {
  $("#range-error").replaceChildren(...problems.map((p) => element("span", {}, p)));
}

/** A new view chosen on the page: into the history (back returns), onto the controls, then fetched. */
function go(next: ViewState, refetch = true): void {
  // The users section's own parameters (users_*) and its #users after a drill-down stay as they are.
  const hash = next.section === view.section ? location.hash : "";
  view = next;
  history.pushState(null, "", viewSearch(view, location.search) + hash);
  showProblems([]);
  showControls();
  if (refetch) void settle([fetchCards()], false);
}

/**
 * The view the URL asks for (on load and on back/forward), its problems said in place: the cards
 * fetched again only when the range differs from the one shown, the users list only when its own
 * parameters differ, so one navigation fetches each panel at most once.
 */
function fromUrl(): void {
  const read = readViewState(location.search, new Date(), sections());
  view = read.state;
  showProblems(read.problems);
  showControls();
  const cards = rangeKey(view) === cardsRange ? cardsLoaded : fetchCards();
  void settle([cards, users.fromUrl(location.search)], true);
}

function onDateChange(): void {
  const start = calendarDay($<HTMLInputElement>("#start").value);
  const end = calendarDay($<HTMLInputElement>("#end").value);
  if (!start || !end || start > end) {
    showProblems(["Choose a start date on or before the end date, both from 1970-01-01 to 2149-06-06."]);
    return;
  }
  const { days: _, ...fixed } = view;
  go({ ...fixed, start, end });
}

function sectionLinks(): void {
  const links = [...document.querySelectorAll<HTMLElement>("main > section[id]")].map((section) => {
    const link = element(
      "a",
      { href: `#${section.id}`, "data-section": section.id },
      section.dataset.title ?? section.id,
    );
    link.addEventListener("click", (event) => {
      event.preventDefault();
      go({ ...view, section: section.id }, false);
      section.scrollIntoView();
    });
    return link;
  });
  $("#sections").replaceChildren(...links);
}

function start(): void {
  host = fetch(CONFIG_PATH.slice(1))
    .then((answer) => answer.json() as Promise<Partial<DashboardConfig>>)
    .then((config) => config.host ?? "(the Tinybird host)")
    .catch(() => "(the Tinybird host)");
  for (const [section, place] of Object.entries(PLACES)) {
    const panels = CARDED.filter((p) => (p.section ?? "overview") === section);
    $(place).replaceChildren(...panels.map((panel) => cardFor(panel, viewOf(panel))));
  }
  users = mountUsers($<HTMLElement>("#users"), host);
  sectionLinks();
  $<HTMLSelectElement>("#currency").addEventListener("change", (event) => {
    go({ ...view, currency: (event.target as HTMLSelectElement).value }, false);
    for (const panel of BILLING) if (panel.perCurrency && fetched.has(panelId(panel))) render(panel);
  });
  $("#start").addEventListener("change", onDateChange);
  $("#end").addEventListener("change", onDateChange);
  $("#granularity").addEventListener("change", (event) => {
    go({ ...view, granularity: (event.target as HTMLSelectElement).value as Granularity });
  });
  for (const button of document.querySelectorAll<HTMLButtonElement>("[data-days]")) {
    button.addEventListener("click", () => {
      const days = Number(button.dataset.days);
      go({ ...view, ...lastDays(new Date(), days), days });
    });
  }
  window.addEventListener("popstate", fromUrl);
  // The system's colour scheme changed: redraw the charts in its colours.
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
    for (const panel of CARDED) if (cardOf(panel).dataset.state === "data") render(panel);
  });
  fromUrl();
}

start();
