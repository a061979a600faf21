/**
 * The dashboard page (runs in the browser, bundled by esbuild): a range and granularity control,
 * and one card per analytics endpoint with its chart, its numbers as a table, and a loading, empty
 * or error state; the Billing cards in a section of their own, shown when billing events exist for
 * the range, with a currency choice (amounts are per currency). It asks its own origin for each
 * panel's rows (`panels/<panel id>.json`); the server behind it (npm start, or npm run dashboard's
 * proxy) relays that to the endpoint with the token it keeps, so no token is ever here.
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
import {
  currencies,
  type Granularity,
  isEmpty,
  labels,
  lastDays,
  minorDigits,
  PANELS,
  type Panel,
  panelId,
  panelRows,
  panelUrl,
  type Range,
  type Row,
  values,
} from "./panels";
import { mountRetention, type RetentionView } from "./retention-view";
import { mountUsers, type UsersSection } from "./users-view";

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

const COLORS = ["#4f46e5", "#e11d48", "#0d9488", "#d97706", "#7c3aed", "#0284c7"];
const charts = new Map<string, Chart>();
/** Each panel's rows as the endpoint gave them (a currency change redraws from these). */
const fetched = new Map<string, Row[]>();
let generation = 0;
/** The currency the Billing section shows (its amounts are per currency). */
let currency = "";

const $ = <T extends HTMLElement>(selector: string, root: ParentNode = document) =>
  root.querySelector(selector) as T;

function element(tag: string, attributes: Record<string, string> = {}, text?: string): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function cardFor(panel: Panel): HTMLElement {
  const card = element("section", { class: "card", "data-endpoint": panelId(panel), "aria-busy": "true" });
  card.append(
    element("h2", {}, panel.title),
    element("p", { class: "subtitle" }, panel.subtitle),
    element("p", { class: "state", role: "status" }),
  );
  const canvasBox = element("div", { class: "chart" });
  canvasBox.append(element("canvas", { role: "img", "aria-label": panel.title }));
  const details = element("details", { class: "numbers" });
  details.append(element("summary", {}, "Numbers"), element("table"));
  card.append(canvasBox, details);
  return card;
}

function formatted(value: number, percent?: boolean, money?: boolean): string {
  if (percent) return `${(value * 100).toFixed(1)}%`;
  if (money && currency !== "") {
    const digits = minorDigits(currency);
    return value.toLocaleString("en-US", {
      style: "currency",
      currency,
      minimumFractionDigits: 0,
      maximumFractionDigits: digits,
    });
  }
  return value.toLocaleString("en-US");
}

function fillTable(card: HTMLElement, panel: Panel, rows: Row[]): void {
  const table = $<HTMLTableElement>("table", card);
  const columns = [...(panel.categories ?? [panel.x]), ...panel.series.map((s) => s.key)];
  const head = element("tr");
  for (const column of columns) head.append(element("th", { scope: "col" }, column));
  const body = rows.map((row) => {
    const tr = element("tr");
    for (const column of columns) tr.append(element("td", { "data-column": column }, String(row[column])));
    return tr;
  });
  table.replaceChildren(element("thead"), element("tbody"));
  table.tHead!.append(head);
  table.tBodies[0]!.append(...body);
}

function drawChart(card: HTMLElement, panel: Panel, rows: Row[]): void {
  charts.get(panelId(panel))?.destroy();
  const canvas = $<HTMLCanvasElement>("canvas", card);
  const right = panel.series.some((s) => s.right);
  const datasets = panel.series.map(
    (series, i): ChartDataset<"bar" | "line", number[]> => ({
      type: series.kind,
      label: series.label,
      data: values(series, rows, currency),
      backgroundColor: COLORS[i % COLORS.length],
      borderColor: COLORS[i % COLORS.length],
      yAxisID: series.right ? "right" : "y",
      ...(series.stack ? { stack: series.stack } : {}),
      ...(series.kind === "line"
        ? { pointRadius: rows.length > 40 ? 0 : 2, borderWidth: 2, tension: 0.2 }
        : {}),
    }),
  );
  const percentRight = panel.series.some((s) => s.right && s.percent);
  const moneyRight = panel.series.some((s) => s.right && s.money);
  const moneyLeft = panel.series.some((s) => !s.right && s.money);
  const chart = new Chart(canvas, {
    type: "bar",
    data: { labels: labels(panel, rows), datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      indexAxis: panel.categories ? "y" : "x",
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (item) => {
              const series = panel.series[item.datasetIndex];
              return `${item.dataset.label}: ${formatted(Number(item.raw), series?.percent, series?.money)}`;
            },
          },
        },
      },
      scales: {
        x: {
          stacked: panel.series.some((s) => s.stack) && !panel.categories,
          ticks: { maxRotation: 0, autoSkipPadding: 12 },
        },
        y: {
          stacked: panel.series.some((s) => s.stack),
          beginAtZero: true,
          // Every method named: a category axis would skip every other label.
          ...(panel.categories ? { ticks: { autoSkip: false } } : {}),
          ...(moneyLeft
            ? { ticks: { callback: (v: string | number) => formatted(Number(v), false, true) } }
            : {}),
        },
        ...(right
          ? {
              right: {
                position: "right" as const,
                beginAtZero: true,
                grid: { drawOnChartArea: false },
                ticks: { callback: (v: string | number) => formatted(Number(v), percentRight, moneyRight) },
              },
            }
          : {}),
      },
    },
  });
  charts.set(panelId(panel), chart);
  // What the chart was given, readable by tests and assistive tools alike.
  canvas.dataset.labels = JSON.stringify(chart.data.labels);
  canvas.dataset.series = JSON.stringify(chart.data.datasets.map((d) => ({ label: d.label, data: d.data })));
}

function setState(card: HTMLElement, state: "loading" | "ready" | "empty" | "error", message = ""): void {
  card.dataset.state = state;
  card.setAttribute("aria-busy", String(state === "loading"));
  const status = $<HTMLElement>(".state", card);
  status.textContent = message;
  status.setAttribute("role", state === "error" ? "alert" : "status");
}

async function load(panel: Panel, range: Range, run: number): Promise<void> {
  const card = $<HTMLElement>(`[data-endpoint="${panelId(panel)}"]`);
  setState(card, "loading", "Loading…");
  let rows: Row[];
  try {
    const response = await fetch(panelUrl(panel, range));
    const body = (await response.json().catch(() => ({}))) as { data?: Row[]; error?: string };
    if (!response.ok || !Array.isArray(body.data)) {
      throw new Error(body.error ?? `the endpoint answered ${response.status}`);
    }
    rows = body.data;
  } catch (cause) {
    if (run !== generation) return;
    fetched.delete(panelId(panel));
    charts.get(panelId(panel))?.destroy();
    charts.delete(panelId(panel));
    $<HTMLTableElement>("table", card).replaceChildren();
    setState(card, "error", `Could not load ${panel.endpoint}: ${(cause as Error).message}`);
    return;
  }
  if (run !== generation) return;
  fetched.set(panelId(panel), rows);
  render(panel);
}

/** Draws a panel from its fetched rows (the chosen currency's, for a per-currency panel). */
function render(panel: Panel): void {
  const card = $<HTMLElement>(`[data-endpoint="${panelId(panel)}"]`);
  const rows = panelRows(panel, fetched.get(panelId(panel)) ?? [], currency);
  fillTable(card, panel, rows);
  if (isEmpty(panel, rows)) {
    charts.get(panelId(panel))?.destroy();
    charts.delete(panelId(panel));
    setState(card, "empty", "No events in this range.");
    return;
  }
  drawChart(card, panel, rows);
  setState(card, "ready");
  if (panel.endpoint === "churn") users.offerChurned(card, rows, readRange());
}

const BILLING = PANELS.filter((p) => p.section === "billing");

/**
 * The Billing section once its endpoints answered: hidden while no billing event is stored for the
 * range, else shown with a currency choice (the one with the most MRR first) when there are several.
 */
function showBilling(): void {
  const section = $<HTMLElement>("#billing");
  const cards = BILLING.map((p) => $<HTMLElement>(`[data-endpoint="${panelId(p)}"]`));
  const found = currencies(BILLING.flatMap((p) => (p.perCurrency ? (fetched.get(panelId(p)) ?? []) : [])));
  if (!found.includes(currency)) currency = found[0] ?? "";
  const select = $<HTMLSelectElement>("#currency");
  select.replaceChildren(...found.map((c) => element("option", { value: c }, c)));
  select.value = currency;
  $<HTMLElement>("#currency-choice").hidden = found.length < 2;
  for (const panel of BILLING) if (fetched.has(panelId(panel))) render(panel);
  section.hidden = cards.every((card) => card.dataset.state === "empty");
}

// Retention and users: views of their own (retention-view.ts, users-view.ts), not charts.
const CHARTED = PANELS.filter((p) => p.section !== "retention" && p.section !== "users");
let retention: RetentionView;
let users: UsersSection;

function readRange(): Range {
  return {
    start: $<HTMLInputElement>("#start").value,
    end: $<HTMLInputElement>("#end").value,
    granularity: $<HTMLSelectElement>("#granularity").value as Granularity,
  };
}

async function refresh(): Promise<void> {
  const range = readRange();
  const message = $<HTMLElement>("#range-error");
  if (!range.start || !range.end || range.start > range.end) {
    message.textContent = "Choose a start date on or before the end date.";
    return;
  }
  message.textContent = "";
  const run = ++generation;
  document.body.dataset.loaded = "false";
  await Promise.all([
    ...CHARTED.map((panel) => load(panel, range, run)),
    retention.load(range),
    users.loaded,
  ]);
  if (run !== generation) return;
  showBilling();
  document.body.dataset.loaded = "true";
}

function start(): void {
  const params = new URLSearchParams(location.search);
  const initial = lastDays(new Date(), Number(params.get("days") ?? 90));
  $<HTMLInputElement>("#start").value = params.get("start_date") ?? initial.start;
  $<HTMLInputElement>("#end").value = params.get("end_date") ?? initial.end;
  $<HTMLSelectElement>("#granularity").value = params.get("granularity") ?? "day";
  $<HTMLElement>("#cards").replaceChildren(...PANELS.filter((p) => p.section === undefined).map(cardFor));
  users = mountUsers($<HTMLElement>("#users"));
  retention = mountRetention($<HTMLElement>("#retention"), (filter) => users.open(filter));
  $<HTMLElement>("#billing-cards").replaceChildren(...BILLING.map(cardFor));
  $<HTMLSelectElement>("#currency").addEventListener("change", (event) => {
    currency = (event.target as HTMLSelectElement).value;
    for (const panel of BILLING) if (panel.perCurrency && fetched.has(panelId(panel))) render(panel);
  });
  for (const id of ["#start", "#end", "#granularity"]) $(id).addEventListener("change", () => void refresh());
  for (const button of document.querySelectorAll<HTMLButtonElement>("[data-days]")) {
    button.addEventListener("click", () => {
      const range = lastDays(new Date(), Number(button.dataset.days));
      $<HTMLInputElement>("#start").value = range.start;
      $<HTMLInputElement>("#end").value = range.end;
      void refresh();
    });
  }
  void refresh();
}

start();
