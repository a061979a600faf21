/**
 * The headline tiles, from one `headline` call: each figure's value over the range and its change
 * against the previous period of equal length (sign, arrow and colour; the previous period's dates
 * and value in text), "so far" while the range holds today. Ratios as percents, their change in
 * percentage points.
 */
import { type CardView, element } from "./card";
import { formatValue, isComplete, type Row } from "./panels";

const FIGURES: Record<string, { label: string; fewerIsBetter?: boolean }> = {
  total_users: { label: "Total users" },
  new_users: { label: "New users" },
  active_users: { label: "Active users" },
  dau: { label: "DAU (daily average)" },
  mau: { label: "MAU" },
  stickiness: { label: "Stickiness (DAU/MAU)" },
  churned_users: { label: "Churned users", fewerIsBetter: true },
  total_organizations: { label: "Organizations" },
  new_organizations: { label: "New organizations" },
};

/** A figure in its unit: counts whole, users per day to one decimal, ratios as percents. */
function figure(value: number, unit: string): string {
  if (unit === "ratio") return formatValue(value, "ratio");
  return value.toLocaleString("en-US", { maximumFractionDigits: unit === "users_per_day" ? 1 : 0 });
}

function change(row: Row): { text: string; direction: "up" | "down" | "flat" } {
  const delta = Number(row.change ?? 0);
  const unit = String(row.unit);
  const direction = delta > 0 ? "up" : delta < 0 ? "down" : "flat";
  const arrow = { up: "▲", down: "▼", flat: "▬" }[direction];
  const sign = delta > 0 ? "+" : delta < 0 ? "−" : "±";
  const size =
    unit === "ratio"
      ? `${(Math.abs(delta) * 100).toFixed(1)} pp`
      : figure(Math.abs(delta), unit) +
        (row.change_ratio === null || row.change_ratio === undefined
          ? ""
          : ` (${sign}${(Math.abs(Number(row.change_ratio)) * 100).toFixed(1)}%)`);
  return { text: `${arrow} ${sign}${size}`, direction };
}

export const headlineView: CardView = {
  incompleteNote: "The range holds today: its figures are so far, and the previous period's are whole.",
  mount(area) {
    area.append(element("ul", { class: "tiles" }));
  },
  clear(area) {
    area.querySelector(".tiles")!.replaceChildren();
  },
  draw(area, _panel, rows) {
    const tiles = rows.map((row) => {
      const name = String(row.figure);
      const about = FIGURES[name] ?? { label: name };
      const unit = String(row.unit);
      const moved = change(row);
      const good = moved.direction === "flat" ? "flat" : (moved.direction === "up") !== !!about.fewerIsBetter;
      const previous = `${figure(Number(row.previous_value ?? 0), unit)} from ${row.previous_start_date} to ${row.previous_end_date}`;
      const tile = element("li", {
        class: "tile",
        "data-figure": name,
        "data-direction": moved.direction,
        "data-complete": String(isComplete(row)),
        title: `Previous period ${row.previous_start_date} to ${row.previous_end_date}: ${figure(Number(row.previous_value ?? 0), unit)}`,
      });
      const label = element("span", { class: "label" }, about.label);
      if (!isComplete(row)) label.append(" ", element("span", { class: "so-far" }, "so far"));
      tile.append(
        label,
        element("span", { class: "value" }, figure(Number(row.value ?? 0), unit)),
        element("span", { class: `change ${good === "flat" ? "flat" : good ? "good" : "bad"}` }, moved.text),
        element("span", { class: "previous" }, `vs ${previous}`),
      );
      return tile;
    });
    area.querySelector(".tiles")!.replaceChildren(...tiles);
  },
};
