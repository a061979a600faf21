/**
 * The retention card (runs in the browser): the `retention` endpoint's cohorts as the triangle heat
 * map, an HTML table (cohort rows, period columns, the cohort's size) whose cells are shaded by
 * retention, written as percents, hatched while incomplete, with their numbers on hover and focus.
 * One tab stop; arrow keys move between cells, Enter (or a click) lists the cell's users.
 */
import { element } from "./element";
import { fetchRows } from "./fetch-rows";
import { type Granularity, PANELS, panelGranularity, panelUrl, type Range, type Row } from "./panels";
import {
  cellSummary,
  percent,
  periodHeading,
  type RetentionCell,
  type RetentionGrid,
  retentionGrid,
  shade,
} from "./retention-grid";
import type { UsersFilter } from "./users-query";

const PANEL = PANELS.find((p) => p.section === "retention")!;
const HINT = "Hover or focus a cell for its numbers; Enter or a click lists its users.";

// The card's own styles, kept with the view (the page's CSP allows inline styles).
const STYLE = `
  #retention > .card { grid-column: 1 / -1; }
  .heatmap-box { overflow-x: auto; max-width: 100%; position: relative; }
  .heatmap { border-collapse: separate; border-spacing: 2px; font-size: .75rem; font-variant-numeric: tabular-nums; }
  .heatmap th { font-weight: 600; white-space: nowrap; padding: 2px 6px; text-align: right; }
  .heatmap thead th { color: #6b7280; }
  .heatmap td { min-width: 3.4em; padding: 4px 6px; text-align: right; border-radius: 3px; white-space: nowrap;
    background-color: rgb(79 70 229 / var(--shade, 0)); cursor: pointer; }
  .heatmap td.size { background: none; cursor: default; color: #6b7280; }
  .heatmap td.dark { color: #fff; }
  .heatmap td.incomplete { background-image: repeating-linear-gradient(135deg, rgb(127 127 127 / .35) 0 2px, transparent 2px 6px); }
  .heatmap td:focus { outline: 2px solid #e11d48; outline-offset: 1px; }
  .retention-detail { font-size: .8rem; min-height: 1.2em; margin: 6px 0 0; }
  .retention-note, .retention-legend { font-size: .75rem; color: #6b7280; margin: 4px 0 0; }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  @media (prefers-color-scheme: dark) { .heatmap thead th, .heatmap td.size, .retention-note, .retention-legend { color: #9ca3af; } }
`;

export interface RetentionView {
  /** Fetches and draws the range's cohorts; resolves once the card shows data, empty or an error. */
  load(range: Range): Promise<void>;
}

/** Builds the card in `root`; `onCell` gets the users filter of a chosen cell. */
export function mountRetention(
  root: HTMLElement,
  onCell: (filter: UsersFilter, cell: RetentionCell) => void,
): RetentionView {
  document.head.append(element("style", {}, STYLE));
  const card = element("section", {
    class: "card",
    "data-endpoint": "retention",
    "aria-labelledby": "retention-title",
    "aria-busy": "true",
  });
  const note = element("p", { class: "retention-note" });
  const status = element("p", { class: "state", role: "status" });
  const box = element("div", { class: "heatmap-box" });
  const detail = element("p", { class: "retention-detail", "aria-live": "polite" }, HINT);
  const legend = element(
    "p",
    { class: "retention-legend" },
    "Darker is a larger share of the cohort active in that period. Hatched: incomplete (the period is not over, or the range cuts the cohort's sign-up period), so it may still grow.",
  );
  card.append(
    element("h2", { id: "retention-title" }, PANEL.title),
    element("p", { class: "subtitle" }, PANEL.subtitle),
    note,
    status,
    box,
    detail,
    legend,
  );
  root.replaceChildren(card);

  let run = 0;
  let cells = new Map<HTMLElement, RetentionCell>();

  const setState = (state: "loading" | "ready" | "empty" | "error", message = "") => {
    card.dataset.state = state;
    card.setAttribute("aria-busy", String(state === "loading"));
    status.textContent = message;
    status.setAttribute("role", state === "error" ? "alert" : "status");
    detail.hidden = legend.hidden = state !== "ready";
  };

  const show = (td: HTMLElement) => {
    const cell = cells.get(td);
    if (cell) detail.textContent = cellSummary(cell, granularityOf(card));
  };

  const draw = (grid: RetentionGrid, granularity: Exclude<Granularity, "day">) => {
    const table = element("table", { class: "heatmap", role: "grid", "aria-labelledby": "retention-title" });
    const head = element("tr");
    head.append(element("th", { scope: "col" }, "Cohort"), element("th", { scope: "col" }, "Users"));
    for (let n = 0; n < grid.periods; n++)
      head.append(element("th", { scope: "col" }, periodHeading(granularity, n)));
    const thead = element("thead");
    thead.append(head);
    const tbody = element("tbody");
    cells = new Map();
    let first = true;
    for (const cohort of grid.cohorts) {
      const tr = element("tr");
      tr.append(
        element("th", { scope: "row" }, cohort.cohort),
        element("td", { class: "size", "data-column": "cohort_size" }, cohort.size.toLocaleString("en-US")),
      );
      for (let n = 0; n < grid.periods; n++) {
        const cell = cohort.cells[n];
        if (!cell) {
          tr.append(element("td", { class: "size", "aria-hidden": "true" }));
          continue;
        }
        const alpha = shade(cell.retention);
        const td = element("td", {
          class: `cell${alpha > 0.55 ? " dark" : ""}${cell.complete ? "" : " incomplete"}`,
          style: `--shade: ${alpha}`,
          tabindex: first ? "0" : "-1",
          title: cellSummary(cell, granularity),
          "data-cohort": cell.cohort,
          "data-period-number": String(n),
          "data-active-users": String(cell.activeUsers),
          "data-retention": String(cell.retention),
          "data-complete": String(cell.complete),
        });
        first = false;
        td.append(element("span", { class: "value" }, percent(cell.retention)));
        if (!cell.complete) td.append(element("span", { class: "sr-only" }, " (incomplete)"));
        cells.set(td, cell);
        tr.append(td);
      }
      tbody.append(tr);
    }
    table.append(thead, tbody);
    table.dataset.granularity = granularity;
    box.replaceChildren(table);
    detail.textContent = HINT;
  };

  // One tab stop in the grid: arrows, Home and End move the focus between the cells.
  const move = (from: HTMLElement, key: string): HTMLElement | undefined => {
    const row = from.parentElement as HTMLTableRowElement;
    const rowCells = [...row.querySelectorAll<HTMLElement>("td.cell")];
    const index = rowCells.indexOf(from);
    if (key === "ArrowRight") return rowCells[index + 1];
    if (key === "ArrowLeft") return rowCells[index - 1];
    if (key === "Home") return rowCells[0];
    if (key === "End") return rowCells.at(-1);
    if (key !== "ArrowDown" && key !== "ArrowUp") return undefined;
    const other = (
      key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling
    ) as HTMLElement | null;
    if (!other) return undefined;
    const otherCells = [...other.querySelectorAll<HTMLElement>("td.cell")];
    return otherCells[Math.min(index, otherCells.length - 1)];
  };
  box.addEventListener("keydown", (event) => {
    const td = (event.target as HTMLElement).closest<HTMLElement>("td.cell");
    if (!td) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      const cell = cells.get(td);
      if (cell) onCell(cell.filter, cell);
      return;
    }
    const next = move(td, event.key);
    if (!next) return;
    event.preventDefault();
    td.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  });
  box.addEventListener("focusin", (event) => show(event.target as HTMLElement));
  box.addEventListener("mouseover", (event) => {
    const td = (event.target as HTMLElement).closest<HTMLElement>("td.cell");
    if (td) show(td);
  });
  box.addEventListener("click", (event) => {
    const td = (event.target as HTMLElement).closest<HTMLElement>("td.cell");
    const cell = td && cells.get(td);
    if (!td || !cell) return;
    for (const other of cells.keys()) other.tabIndex = other === td ? 0 : -1;
    onCell(cell.filter, cell);
  });

  return {
    async load(range) {
      const mine = ++run;
      const granularity = panelGranularity(PANEL, range.granularity) as Exclude<Granularity, "day">;
      card.dataset.granularity = granularity;
      note.textContent =
        range.granularity === granularity
          ? `Cohorts by ${granularity} of sign-up.`
          : `Cohorts by week of sign-up: retention has no daily cohorts.`;
      setState("loading", "Loading…");
      let rows: Row[];
      try {
        rows = await fetchRows(panelUrl(PANEL, range));
      } catch (cause) {
        if (mine !== run) return;
        box.replaceChildren();
        cells = new Map();
        setState("error", `Could not load retention: ${(cause as Error).message}`);
        return;
      }
      if (mine !== run) return;
      const grid = retentionGrid(rows);
      if (grid.cohorts.length === 0) {
        box.replaceChildren();
        cells = new Map();
        setState("empty", "No sign-ups in this range.");
        return;
      }
      draw(grid, granularity);
      setState("ready");
    },
  };
}

const granularityOf = (card: HTMLElement) =>
  (card.dataset.granularity ?? "week") as Exclude<Granularity, "day">;
