/**
 * The users section (runs in the browser) over the `users` endpoint: search by user id or e-mail
 * domain, sort by sign-up or last sign-in, keyset pages ("Next", "Previous", "First page"), and the
 * users behind a figure (a retention cell, the churned of a churn period) as a removable filter chip.
 * Its state lives in the page's URL (`users_*` parameters, `#users` after a drill-down).
 */
import { element } from "./card";
import { fetchRows } from "./fetch-rows";
import { MAX_SEARCH, PANELS, panelId, type Range, type Row } from "./panels";
import {
  type Cursor,
  churnFilter,
  DEFAULT_VIEW,
  filterLabel,
  nextCursor,
  PAGE_SIZES,
  type UsersFilter,
  type UsersView,
  usersQuery,
  viewFromUrl,
  viewToUrl,
} from "./users-query";

const PANEL = PANELS.find((p) => p.section === "users")!;
const COLUMNS: [key: string, heading: string][] = [
  ["user_id", "User"],
  ["created_at", "Created"],
  ["deleted_at", "Deleted"],
  ["last_sign_in_at", "Last sign-in"],
  ["email_domain", "E-mail domain"],
  ["organizations", "Organizations"],
];

const STYLE = `
  #users > .card { margin: 0 24px 32px; }
  .users-controls { margin: 4px 0 8px; }
  .users-controls input[type="search"] { min-width: 16em; }
  .chips { display: flex; flex-wrap: wrap; gap: 6px; margin: 4px 0; }
  .chip { display: inline-flex; align-items: center; gap: 4px; font-size: .8rem; padding: 2px 4px 2px 10px;
    border-radius: 999px; background: rgb(79 70 229 / .12); }
  .chip button { border: 0; background: none; padding: 0 6px; font-size: 1rem; line-height: 1; }
  .users-table { overflow-x: auto; }
  .users-table table { border-collapse: collapse; font-size: .8rem; width: 100%; }
  .users-table th, .users-table td { text-align: left; padding: 3px 8px; border-bottom: 1px solid rgb(127 127 127 / .2);
    white-space: nowrap; }
  .users-table td[data-column="organizations"] { white-space: normal; }
  .pager { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-top: 8px; font-size: .8rem; }
  .pager button:disabled { opacity: .5; cursor: default; }
  .drill { display: flex; flex-wrap: wrap; gap: 6px 8px; align-items: end; margin-top: 8px; }
  .card[data-state="loading"] .drill, .card[data-state="error"] .drill, .card[data-state="empty"] .drill { display: none; }
  .card[data-state="error"] .users-table, .card[data-state="empty"] .users-table { display: none; }
  @media (max-width: 600px) { #users > .card { margin: 0 12px 24px; } .users-controls input[type="search"] { min-width: 0; } }
`;

export interface UsersSection {
  /** The first page's load, started when mounted. */
  loaded: Promise<void>;
  /** Lists the users behind a figure: the filter shown as a chip, the first page, the section in view. */
  open(filter: UsersFilter): void;
  /** Adds "who churned" to the churn card: one choice per period with churn, and its kind. */
  offerChurned(card: HTMLElement, rows: Row[], range: Range): void;
}

/** A time as the endpoint gives it (`YYYY-MM-DD hh:mm:ss.sss`, UTC) to the minute; empty when none. */
const when = (value: unknown) => (typeof value === "string" ? value.slice(0, 16) : "");

function cellText(key: string, value: unknown): string {
  if (key === "organizations") return Array.isArray(value) ? value.join(", ") : "";
  if (key.endsWith("_at")) return when(value);
  return value === null || value === undefined ? "" : String(value);
}

function labelled(text: string, control: HTMLElement): HTMLElement {
  const label = element("label", {}, text);
  label.append(control);
  return label;
}

function select(name: string, options: [value: string, text: string][]): HTMLSelectElement {
  const node = element("select", { name }) as HTMLSelectElement;
  node.append(...options.map(([value, text]) => element("option", { value }, text)));
  return node;
}

export function mountUsers(root: HTMLElement): UsersSection {
  document.head.append(element("style", {}, STYLE));
  const card = element("div", { class: "card", "data-endpoint": "users", "aria-busy": "true" });
  const search = element("input", {
    type: "search",
    name: "search",
    maxlength: String(MAX_SEARCH),
    placeholder: "user id or e-mail domain",
    autocomplete: "off",
  }) as HTMLInputElement;
  const sort = select("sort", [
    ["created_at", "Created"],
    ["last_sign_in_at", "Last sign-in"],
  ]);
  const order = select("order", [
    ["desc", "Newest first"],
    ["asc", "Oldest first"],
  ]);
  const limit = select(
    "limit",
    PAGE_SIZES.map((n) => [String(n), String(n)]),
  );
  const form = element("form", { class: "users-controls", role: "search" });
  form.append(
    labelled("Search", search),
    labelled("Sort by", sort),
    labelled("Order", order),
    labelled("Per page", limit),
    element("button", { type: "submit" }, "Search"),
  );
  const chips = element("div", { class: "chips" });
  const status = element("p", { class: "state", role: "status" });
  const table = element("table", { "aria-label": "Users" });
  const head = element("tr");
  for (const [, heading] of COLUMNS) head.append(element("th", { scope: "col" }, heading));
  const thead = element("thead");
  thead.append(head);
  const tbody = element("tbody");
  table.append(thead, tbody);
  const tableBox = element("div", { class: "users-table" });
  tableBox.append(table);
  const first = element(
    "button",
    { type: "button", "data-page": "first" },
    "First page",
  ) as HTMLButtonElement;
  const previous = element(
    "button",
    { type: "button", "data-page": "previous" },
    "Previous",
  ) as HTMLButtonElement;
  const next = element("button", { type: "button", "data-page": "next" }, "Next") as HTMLButtonElement;
  const position = element("span", { class: "page-info", "aria-live": "polite" });
  const pager = element("nav", { class: "pager", "aria-label": "Pages of users" });
  pager.append(first, previous, position, next);
  card.append(
    element("h2", { id: "users-title", tabindex: "-1" }, PANEL.title),
    element("p", { class: "subtitle" }, PANEL.subtitle),
    form,
    chips,
    status,
    tableBox,
    pager,
  );
  root.setAttribute("aria-labelledby", "users-title");
  root.replaceChildren(card);

  let view: UsersView = viewFromUrl(new URLSearchParams(location.search));
  /** The cursor each page up to the current one starts after (the first page: none). */
  let pages: Cursor[] = [{}];
  let shown: Row[] = [];
  let run = 0;

  const setState = (state: "loading" | "data" | "empty" | "error", message = "") => {
    card.dataset.state = state;
    card.setAttribute("aria-busy", String(state === "loading"));
    status.textContent = message;
    status.setAttribute("role", state === "error" ? "alert" : "status");
  };

  const showControls = () => {
    search.value = view.search;
    sort.value = view.sort;
    order.value = view.order;
    limit.value = String(view.limit);
    const label = filterLabel(view.filter);
    if (label === "") {
      chips.replaceChildren();
      return;
    }
    const chip = element("span", { class: "chip", "data-filter": JSON.stringify(view.filter) }, label);
    const remove = element("button", { type: "button", "aria-label": `Remove the filter: ${label}` }, "×");
    remove.addEventListener("click", () => {
      view = { ...view, filter: {} };
      void reload();
      search.focus();
    });
    chip.append(remove);
    chips.replaceChildren(chip);
  };

  const keepInUrl = (hash?: string) => {
    const url = new URL(location.href);
    url.search = viewToUrl(view, url.searchParams).toString();
    if (hash !== undefined) url.hash = hash;
    history.replaceState(history.state, "", url);
  };

  const load = async (): Promise<void> => {
    const mine = ++run;
    const page = pages.length - 1;
    setState("loading", "Loading…");
    next.disabled = previous.disabled = first.disabled = true;
    let rows: Row[];
    try {
      rows = await fetchRows(`panels/${panelId(PANEL)}.json?${usersQuery(view, pages[page])}`);
    } catch (cause) {
      if (mine !== run) return;
      shown = [];
      tbody.replaceChildren();
      position.textContent = "";
      first.disabled = page === 0;
      setState("error", `Could not load users: ${(cause as Error).message}`);
      return;
    }
    if (mine !== run) return;
    // One row more than the page was asked for: there is a next page.
    shown = rows.slice(0, view.limit);
    tbody.replaceChildren(
      ...shown.map((row) => {
        const tr = element("tr");
        for (const [key] of COLUMNS) {
          const td = element("td", { "data-column": key }, cellText(key, row[key]));
          if (key.endsWith("_at") && typeof row[key] === "string") td.title = `${row[key]} UTC`;
          tr.append(td);
        }
        return tr;
      }),
    );
    const from = page * view.limit + 1;
    position.textContent = shown.length === 0 ? "" : `Users ${from}–${from + shown.length - 1}`;
    next.disabled = rows.length <= view.limit;
    previous.disabled = first.disabled = page === 0;
    if (shown.length === 0) setState("empty", page === 0 ? "No users match." : "No more users.");
    else setState("data");
  };

  /** A new search, sort, page size or filter: back to the first page. */
  const reload = (hash?: string) => {
    pages = [{}];
    showControls();
    keepInUrl(hash);
    return load();
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    view = { ...view, search: search.value.trim().slice(0, MAX_SEARCH) };
    void reload();
  });
  for (const control of [sort, order, limit]) {
    control.addEventListener("change", () => {
      view = {
        ...view,
        sort: sort.value as UsersView["sort"],
        order: order.value as UsersView["order"],
        limit: Number(limit.value),
      };
      void reload();
    });
  }
  next.addEventListener("click", () => {
    const last = shown.at(-1);
    if (!last) return;
    pages.push(nextCursor(view, last));
    void load();
  });
  previous.addEventListener("click", () => {
    if (pages.length > 1) pages.pop();
    void load();
  });
  first.addEventListener("click", () => {
    pages = [{}];
    void load();
  });

  showControls();
  const loaded = load();

  const open = (filter: UsersFilter) => {
    view = { ...DEFAULT_VIEW, sort: view.sort, order: view.order, limit: view.limit, filter };
    void reload("users");
    root.scrollIntoView({ block: "start" });
    // Keyboard and screen-reader users land on the section they asked for.
    (card.querySelector("h2") as HTMLElement).focus({ preventScroll: true });
  };

  return {
    loaded,
    open,
    offerChurned(churnCard, rows, range) {
      churnCard.querySelector(".drill")?.remove();
      const churned = rows
        .map((row) => ({
          period: String(row.period),
          deleted: Number(row.users_deleted ?? 0),
          inactive: Number(row.users_inactive ?? 0),
        }))
        .filter((p) => p.deleted + p.inactive > 0)
        .reverse();
      if (churned.length === 0) return;
      const period = select(
        "churned-period",
        churned.map((p) => [
          p.period,
          `${p.period}: ${p.deleted + p.inactive} (${p.deleted} deleted, ${p.inactive} gone inactive)`,
        ]),
      );
      const reason = select("churn-reason", [
        ["", "All churned"],
        ["deleted", "Deleted"],
        ["inactive", "Gone inactive"],
      ]);
      const list = element("button", { type: "button" }, "List these users");
      list.addEventListener("click", () => {
        const kind = reason.value === "" ? undefined : (reason.value as "deleted" | "inactive");
        open(churnFilter(period.value, range.granularity, range, kind));
      });
      const drill = element("div", { class: "drill" });
      drill.append(labelled("Who churned in", period), labelled("Kind", reason), list);
      churnCard.append(drill);
    },
  };
}
