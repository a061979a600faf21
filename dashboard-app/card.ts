/**
 * A card's frame, the same for every view inside it: title and subtitle, a state that is always
 * exactly one of loading / empty / error / data (announced to assistive tools, `aria-busy` while
 * loading), the view's own area, a note when a period is incomplete, the numbers as a table, a CSV
 * download of exactly those rows, and the endpoint's URL with a `curl` line (token placeholder only).
 * A view with controls of its own (the users list: search, filter chip, pager) adds them in `parts`.
 */
import {
  cellText,
  columnHeader,
  csv,
  curlLine,
  endpointUrl,
  isComplete,
  type Panel,
  panelId,
  type Row,
  tableColumns,
} from "./panels";

export type CardState = "loading" | "empty" | "error" | "data";

/** What draws a card's rows: mounts its element(s) into the card's view area once, then draws or clears. */
export interface CardView {
  mount(area: HTMLElement, panel: Panel): void;
  draw(area: HTMLElement, panel: Panel, rows: Row[], currency: string): void;
  clear(area: HTMLElement, panel: Panel): void;
  /** Said under the view when a row is incomplete (how the view marks it). */
  incompleteNote: string;
}

export const $ = <T extends HTMLElement>(selector: string, root: ParentNode = document) =>
  root.querySelector(selector) as T;

export function element(tag: string, attributes: Record<string, string> = {}, text?: string): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** What a card holds besides the frame's own parts (the users list's). */
export interface CardParts {
  /** Above the state line, shown in every state (search, sort, the filter chip). */
  controls?: HTMLElement[];
  /** Under the view, shown in every state (a pager). */
  after?: HTMLElement[];
  /** Beside the CSV button (another download). */
  tools?: HTMLElement[];
  /** The view is itself the table of the rows: no "Numbers" table repeating them. */
  viewIsTable?: boolean;
}

export const cardOf = (panel: Panel) => $<HTMLElement>(`[data-endpoint="${panelId(panel)}"]`);

/** What the card shows now: its CSV is built from these, so it is exactly what is drawn. */
const drawn = new WeakMap<HTMLElement, { panel: Panel; rows: Row[]; currency: string; name: string }>();

export function cardFor(panel: Panel, view: CardView, parts: CardParts = {}): HTMLElement {
  const id = panelId(panel);
  const card = element("section", {
    class: "card",
    "data-endpoint": id,
    "data-state": "loading",
    "aria-busy": "true",
    "aria-labelledby": `${id}-title`,
  });
  const area = element("div", { class: "view" });
  view.mount(area, panel);
  const csvButton = element("button", { type: "button", class: "csv", disabled: "" }, "CSV");
  csvButton.setAttribute("aria-label", `Download ${panel.title} as CSV`);
  csvButton.addEventListener("click", () => download(card));
  const numbers = element("details", { class: "numbers" });
  numbers.append(element("summary", {}, "Numbers"), element("table"));
  const source = element("details", { class: "source" });
  source.append(
    element("summary", {}, "Endpoint"),
    element(
      "p",
      {},
      "The same numbers from Tinybird (export TINYBIRD_READ_TOKEN, a token that may read it):",
    ),
    element("code", { class: "url" }),
    element("code", { class: "curl" }),
  );
  card.append(
    element("h2", { id: `${id}-title` }, panel.title),
    element("p", { class: "subtitle" }, panel.subtitle),
    ...(parts.controls ?? []),
    element("p", { class: "state", role: "status" }, "Loading…"),
    area,
    ...(parts.after ?? []),
    element("p", { class: "incomplete-note", hidden: "" }, view.incompleteNote),
    ...(parts.viewIsTable ? [] : [numbers]),
    element("div", { class: "tools" }),
  );
  $(".tools", card).append(csvButton, ...(parts.tools ?? []), source);
  return card;
}

export function setState(card: HTMLElement, state: CardState, message = ""): void {
  card.dataset.state = state;
  card.setAttribute("aria-busy", String(state === "loading"));
  const status = $<HTMLElement>(".state", card);
  status.textContent = message;
  status.setAttribute("role", state === "error" ? "alert" : "status");
  const button = $<HTMLButtonElement>("button.csv", card);
  button.disabled = state !== "data";
  if (state !== "data") {
    drawn.delete(card);
    $(".incomplete-note", card).hidden = true;
  }
}

/** The rows drawn: what the CSV (`name`.csv) will hold; the note said when one is incomplete. */
export function keepRows(card: HTMLElement, panel: Panel, rows: Row[], currency: string, name: string): void {
  drawn.set(card, { panel, rows, currency, name });
  $(".incomplete-note", card).hidden = rows.every(isComplete);
}

/** The table of the rows drawn (one unit per figure), and what the CSV will hold. */
export function showNumbers(
  card: HTMLElement,
  panel: Panel,
  rows: Row[],
  currency: string,
  name: string,
): void {
  keepRows(card, panel, rows, currency, name);
  const columns = tableColumns(panel, rows);
  const head = element("tr");
  for (const column of columns)
    head.append(element("th", { scope: "col" }, columnHeader(panel, column, currency, false)));
  const body = rows.map((row) => {
    const tr = element("tr", isComplete(row) ? {} : { "data-complete": "false" });
    for (const column of columns) {
      tr.append(element("td", { "data-column": column }, cellText(panel, row, column, currency)));
    }
    return tr;
  });
  const table = $<HTMLTableElement>("table", card);
  table.replaceChildren(element("thead"), element("tbody"));
  table.tHead!.append(head);
  table.tBodies[0]!.append(...body);
}

export function clearNumbers(card: HTMLElement): void {
  $<HTMLTableElement>("table", card).replaceChildren();
}

/** The endpoint's URL and a curl line for the call the card made (query as the relay passed it on). */
export function showSource(card: HTMLElement, panel: Panel, host: string, query: string): void {
  const url = endpointUrl(host, panel, query);
  $(".source .url", card).textContent = url;
  $(".source .curl", card).textContent = curlLine(url);
}

function download(card: HTMLElement): void {
  const shown = drawn.get(card);
  if (shown) downloadCsv(`${shown.name}.csv`, csv(shown.panel, shown.rows, shown.currency));
}

/** Hands `text` to the browser as a CSV file named `name`. */
export function downloadCsv(name: string, text: string): void {
  const blob = new Blob([text], { type: "text/csv;charset=utf-8" });
  const link = element("a", { href: URL.createObjectURL(blob), download: name }) as HTMLAnchorElement;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}
