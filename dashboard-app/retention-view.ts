/**
 * Retention's view inside the card frame (runs in the browser): the `retention` endpoint's cohorts
 * as the triangle heat map, an HTML table (cohort rows, period columns, the cohort's size) whose cells
 * are shaded by retention, written as percents, hatched while incomplete, with their numbers on hover
 * and focus. One tab stop; arrow keys move between cells, Enter (or a click) lists the cell's users.
 * The frame gives it what every card has: state, the numbers as a table, CSV, endpoint URL and curl.
 */
import { type CardView, element } from "./card";
import { type Granularity, panelGranularity } from "./panels";
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

const HINT = "Hover or focus a cell for its numbers; Enter or a click lists its users.";

type CohortGranularity = Exclude<Granularity, "day">;

export interface RetentionViewOptions {
  /** The granularity the page asks for (retention has no daily cohorts: day is drawn as week). */
  granularity: () => Granularity;
  /** A chosen cell: the users filter listing exactly its users. */
  onCell: (filter: UsersFilter, cell: RetentionCell) => void;
}

/** The heat map as a card view; one card, so the view keeps its cells itself. */
export function retentionView(options: RetentionViewOptions): CardView {
  let cells = new Map<HTMLElement, RetentionCell>();
  let shown: CohortGranularity = "week";
  const note = element("p", { class: "retention-note" });
  const box = element("div", { class: "heatmap-box" });
  const detail = element("p", { class: "retention-detail", "aria-live": "polite" }, HINT);
  const legend = element(
    "p",
    { class: "retention-legend" },
    "Darker is a larger share of the cohort active in that period.",
  );

  const show = (td: HTMLElement) => {
    const cell = cells.get(td);
    if (cell) detail.textContent = cellSummary(cell, shown);
  };

  const draw = (grid: RetentionGrid, granularity: CohortGranularity, labelledBy: string) => {
    const table = element("table", { class: "heatmap", role: "grid", "aria-labelledby": labelledBy });
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
        if (!cell.complete) td.append(element("span", { class: "visually-hidden" }, " (incomplete)"));
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
      if (cell) options.onCell(cell.filter, cell);
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
    options.onCell(cell.filter, cell);
  });

  return {
    incompleteNote:
      "Hatched: incomplete (the period is not over, or the range cuts the cohort's sign-up period), so it may still grow.",
    mount(area) {
      area.append(note, box, detail, legend);
    },
    clear() {
      box.replaceChildren();
      cells = new Map();
    },
    draw(area, panel, rows) {
      const asked = options.granularity();
      shown = panelGranularity(panel, asked) as CohortGranularity;
      note.textContent =
        asked === shown
          ? `Cohorts by ${shown} of sign-up.`
          : "Cohorts by week of sign-up: retention has no daily cohorts.";
      const title = area.closest(".card")?.getAttribute("aria-labelledby") ?? "";
      draw(retentionGrid(rows), shown, title);
    },
  };
}
