/**
 * A card's chart (Chart.js): the panel's series over its periods or categories, an incomplete period
 * drawn apart (hatched bars, dashed line segments), counts on integer axes, ratios as percents,
 * money in the currency's units, colours from the page's CSS variables (so dark mode follows the
 * system), and a text summary as the canvas's label (the card's table holds every number).
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartDataset,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { $, type CardView, element } from "./card";
import {
  formatValue,
  isComplete,
  labels,
  minorDigits,
  type Panel,
  panelId,
  type Row,
  type Series,
  values,
} from "./panels";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

const charts = new Map<string, Chart>();

/** The page's colours, read when drawing: light or dark as the system says. */
function theme() {
  const css = getComputedStyle(document.documentElement);
  const read = (name: string) => css.getPropertyValue(name).trim();
  return {
    series: [1, 2, 3, 4, 5, 6].map((i) => read(`--series-${i}`)),
    text: read("--muted"),
    grid: read("--grid"),
    card: read("--card"),
  };
}

/** Diagonal stripes of a colour: the fill of an incomplete period's bar. */
function hatch(color: string): CanvasPattern | string {
  const tile = document.createElement("canvas");
  tile.width = 8;
  tile.height = 8;
  const ctx = tile.getContext("2d");
  if (!ctx) return color;
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(0, 8);
  ctx.lineTo(8, 0);
  ctx.moveTo(-2, 2);
  ctx.lineTo(2, -2);
  ctx.moveTo(6, 10);
  ctx.lineTo(10, 6);
  ctx.stroke();
  return ctx.createPattern(tile, "repeat") ?? color;
}

/** An amount already in the currency's major units, with its symbol. */
function money(value: number, currency: string): string {
  if (currency === "") return value.toLocaleString("en-US");
  return value.toLocaleString("en-US", {
    style: "currency",
    currency,
    minimumFractionDigits: 0,
    maximumFractionDigits: minorDigits(currency),
  });
}

const unitOf = (series: Series | undefined) =>
  series?.percent ? "ratio" : series?.money ? "money" : "plain";

/** A sentence a screen reader says for the chart: what it spans and each series' range and last value. */
function summary(panel: Panel, rows: Row[], names: string[], currency: string): string {
  const span = panel.categories
    ? `${rows.length} ${rows.length === 1 ? "row" : "rows"}`
    : `${rows.length} periods from ${names[0]} to ${names.at(-1)}`;
  const parts = panel.series.map((series) => {
    const data = rows.map((row) => Number(row[series.key] ?? 0));
    const show = (v: number) => formatValue(v, unitOf(series), currency);
    return `${series.label} from ${show(Math.min(...data))} to ${show(Math.max(...data))}, last ${show(data.at(-1) ?? 0)}`;
  });
  const partial = rows.some((row) => !isComplete(row))
    ? " The last period is incomplete: its figures are so far."
    : "";
  return `${panel.title}: ${span}. ${parts.join("; ")}.${partial} Every number is in the table below.`;
}

export const chartView: CardView = {
  incompleteNote:
    "Incomplete period (not over yet, or cut by the range): hatched or dashed, its figures so far.",
  mount(area) {
    const box = element("div", { class: "chart" });
    box.append(element("canvas", { role: "img" }));
    area.append(box);
  },
  clear(area, panel) {
    charts.get(panelId(panel))?.destroy();
    charts.delete(panelId(panel));
    const canvas = $<HTMLCanvasElement>("canvas", area);
    for (const name of ["labels", "series", "incomplete", "ticks"]) delete canvas.dataset[name];
  },
  draw(area, panel, rows, currency) {
    charts.get(panelId(panel))?.destroy();
    const canvas = $<HTMLCanvasElement>("canvas", area);
    const colors = theme();
    const incomplete = rows.map((row) => !isComplete(row));
    const right = panel.series.some((s) => s.right);
    const datasets = panel.series.map((series, i): ChartDataset<"bar" | "line", number[]> => {
      const color = colors.series[i % colors.series.length]!;
      const common = {
        label: series.label,
        data: values(series, rows, currency),
        borderColor: color,
        yAxisID: series.right ? "right" : "y",
        ...(series.stack ? { stack: series.stack } : {}),
      };
      if (series.kind === "bar") {
        const stripes = hatch(color);
        return {
          ...common,
          type: "bar",
          backgroundColor: incomplete.map((partial) => (partial ? stripes : color)) as string[],
          borderWidth: incomplete.map((partial) => (partial ? 1 : 0)),
        };
      }
      return {
        ...common,
        type: "line",
        backgroundColor: color,
        pointRadius: rows.length > 40 ? incomplete.map((partial) => (partial ? 3 : 0)) : 2,
        pointBackgroundColor: incomplete.map((partial) => (partial ? colors.card : color)),
        borderWidth: 2,
        tension: 0.2,
        // The segment into an incomplete period is dashed: a partial day is not a drop.
        segment: { borderDash: (ctx) => (incomplete[ctx.p1DataIndex] ? [6, 4] : undefined) },
      };
    });
    const percentRight = panel.series.some((s) => s.right && s.percent);
    const moneyRight = panel.series.some((s) => s.right && s.money);
    const moneyLeft = panel.series.some((s) => !s.right && s.money);
    const tick = (unit: "ratio" | "money" | "plain") => ({
      color: colors.text,
      ...(unit === "plain"
        ? { precision: 0 } // counts: no 0.1 … 1.0 after a single event
        : {
            callback: (v: string | number) =>
              unit === "money" ? money(Number(v), currency) : formatValue(Number(v), unit),
          }),
    });
    const names = labels(panel, rows);
    const chart = new Chart(canvas, {
      type: "bar",
      data: { labels: names, datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: panel.categories ? "y" : "x",
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: {
            position: "bottom",
            labels: {
              boxWidth: 12,
              color: colors.text,
              // A series' own colour in the legend, not its incomplete period's hatching.
              generateLabels: (chart) =>
                Chart.defaults.plugins.legend.labels.generateLabels(chart).map((item) => ({
                  ...item,
                  fillStyle: colors.series[(item.datasetIndex ?? 0) % colors.series.length],
                })),
            },
          },
          tooltip: {
            callbacks: {
              title: (items) => {
                const index = items[0]?.dataIndex ?? 0;
                return `${names[index]}${incomplete[index] ? " (incomplete: so far)" : ""}`;
              },
              label: (item) => {
                const series = panel.series[item.datasetIndex];
                const unit = unitOf(series);
                // Money is drawn in major units already.
                const value =
                  unit === "money" ? money(Number(item.raw), currency) : formatValue(Number(item.raw), unit);
                return `${item.dataset.label}: ${value}`;
              },
            },
          },
        },
        scales: {
          x: {
            stacked: panel.series.some((s) => s.stack) && !panel.categories,
            ticks: {
              maxRotation: 0,
              autoSkipPadding: 12,
              color: colors.text,
              ...(panel.categories ? { precision: 0 } : {}),
            },
            grid: { color: colors.grid },
          },
          y: {
            stacked: panel.series.some((s) => s.stack),
            beginAtZero: true,
            grid: { color: colors.grid },
            // Every method named: a category axis would skip every other label.
            ticks: panel.categories
              ? { autoSkip: false, color: colors.text }
              : tick(moneyLeft ? "money" : "plain"),
          },
          ...(right
            ? {
                right: {
                  position: "right" as const,
                  beginAtZero: true,
                  grid: { drawOnChartArea: false },
                  ticks: tick(percentRight ? "ratio" : moneyRight ? "money" : "plain"),
                },
              }
            : {}),
        },
      },
    });
    charts.set(panelId(panel), chart);
    canvas.setAttribute("aria-label", summary(panel, rows, names, currency));
    // What the chart was given, readable by tests and assistive tools alike.
    canvas.dataset.labels = JSON.stringify(chart.data.labels);
    canvas.dataset.series = JSON.stringify(
      chart.data.datasets.map((d) => ({ label: d.label, data: d.data, color: d.borderColor })),
    );
    canvas.dataset.incomplete = JSON.stringify(incomplete);
    canvas.dataset.ticks = JSON.stringify(
      Object.fromEntries(
        Object.entries(chart.scales).map(([id, scale]) => [id, scale.ticks.map((t) => t.value)]),
      ),
    );
  },
};
