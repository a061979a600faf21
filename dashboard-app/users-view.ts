/**
 * The users list (runs in the browser) over the `users` endpoint, in the card frame (card.ts) like
 * every other panel: its four states, a CSV of the rows shown (and of every matching user, up to
 * `DOWNLOAD_CAP`, fetched page by page), the endpoint URL and curl line of the call it made. Search by
 * user id or e-mail domain, sort by sign-up or last sign-in, keyset pages ("Next", "Previous", "First
 * page"), and the users behind a figure (a retention cell, the churned of a churn period) as a
 * removable filter chip. Its state lives in the page's URL (`users_*` parameters, `#users` after a
 * drill-down); each change of it is a history entry, which back and forward restore.
 */
import {
  type CardView,
  cardFor,
  downloadCsv,
  element,
  keepRows,
  setState as setCardState,
  showSource,
} from "./card";
import { fetchRows } from "./fetch-rows";
import { csv, MAX_SEARCH, PANELS, panelId, type Range, type Row } from "./panels";
import {
  allMatching,
  type Cursor,
  churnFilter,
  DEFAULT_VIEW,
  DOWNLOAD_CAP,
  filterLabel,
  nextCursor,
  PAGE_SIZES,
  sameView,
  type UsersFilter,
  type UsersView,
  usersQuery,
  viewFromUrl,
  viewToUrl,
} from "./users-query";

const PANEL = PANELS.find((p) => p.section === "users")!;
const PATH = `panels/${panelId(PANEL)}.json`;
/** The list's columns (the panel's, which its CSV holds too) and their headings. */
const HEADINGS: Record<string, string> = {
  user_id: "User",
  created_at: "Created",
  deleted_at: "Deleted",
  last_sign_in_at: "Last sign-in",
  last_active_at: "Last active",
  days_active: "Days active",
  email_domain: "E-mail domain",
  organizations: "Organizations",
};
const COLUMNS = PANEL.columns!;
const count = (n: number) => n.toLocaleString("en-US");

const STYLE = `
  #users > .card { margin: 0 24px 32px; }
  .users-controls { margin: 4px 0 8px; }
  .users-controls input[type="search"] { min-width: 16em; }
  .chips { display: flex; flex-wrap: wrap; gap: 6px; margin: 4px 0; }
  .chips:empty { display: none; }
  .chip { display: inline-flex; align-items: center; gap: 4px; font-size: .8rem; padding: 2px 4px 2px 10px;
    border-radius: 999px; background: rgb(79 70 229 / .12); }
  .chip button { border: 0; background: none; padding: 0 6px; font-size: 1rem; line-height: 1; }
  .users-table { overflow-x: auto; }
  .users-table table { border-collapse: collapse; font-size: .8rem; width: 100%; }
  .users-table th, .users-table td { text-align: left; padding: 3px 8px; border-bottom: 1px solid rgb(127 127 127 / .2);
    white-space: nowrap; }
  .users-table td[data-column="days_active"] { text-align: right; }
  .users-table td[data-column="organizations"] { white-space: normal; }
  /* A new page keeps the last one in place, dimmed, while it loads (the pager stays where it was). */
  #users .card[data-state="loading"] .view { display: block; opacity: .5; }
  .pager { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-top: 8px; font-size: .8rem; }
  .pager button:disabled { opacity: .5; cursor: default; }
  .all-status { color: var(--muted); align-self: center; }
  .all-status:empty { display: none; }
  .drill { display: flex; flex-wrap: wrap; gap: 6px 8px; align-items: end; margin-top: 8px; }
  .card[data-state="loading"] .drill, .card[data-state="error"] .drill, .card[data-state="empty"] .drill { display: none; }
  @media (max-width: 600px) { #users > .card { margin: 0 12px 24px; } .users-controls input[type="search"] { min-width: 0; } }
`;

export interface UsersSection {
  /**
   * Shows the list the URL asks for (on load, back and forward): loads its first page unless it is
   * the list shown already (no second fetch for a navigation that did not change it).
   */
  fromUrl(search: string): Promise<void>;
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

/** The list as the card's view: the users table, one row per user shown. */
function usersTable(): CardView {
  const tbody = element("tbody");
  return {
    incompleteNote: "",
    mount(area) {
      const head = element("tr");
      for (const column of COLUMNS) head.append(element("th", { scope: "col" }, HEADINGS[column]));
      const thead = element("thead");
      thead.append(head);
      const table = element("table", { "aria-label": "Users" });
      table.append(thead, tbody);
      const box = element("div", { class: "users-table" });
      box.append(table);
      area.append(box);
    },
    draw(_area, _panel, rows) {
      tbody.replaceChildren(
        ...rows.map((row) => {
          const tr = element("tr");
          for (const key of COLUMNS) {
            const td = element("td", { "data-column": key }, cellText(key, row[key]));
            if (key.endsWith("_at") && typeof row[key] === "string") td.title = `${row[key]} UTC`;
            tr.append(td);
          }
          return tr;
        }),
      );
    },
    clear() {
      tbody.replaceChildren();
    },
  };
}

/** `host`: the Tinybird host the relay calls, for the card's endpoint URL and curl line. */
export function mountUsers(root: HTMLElement, host: Promise<string>): UsersSection {
  document.head.append(element("style", {}, STYLE));
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
  const all = element(
    "button",
    { type: "button", class: "all-csv", disabled: "" },
    `All matching as CSV (at most ${count(DOWNLOAD_CAP)})`,
  ) as HTMLButtonElement;
  all.setAttribute("aria-label", `Download every matching user as CSV, at most ${count(DOWNLOAD_CAP)}`);
  const allStatus = element("span", { class: "all-status", role: "status" });
  const table = usersTable();
  const card = cardFor(PANEL, table, {
    controls: [form, chips],
    after: [pager],
    tools: [all, allStatus],
    viewIsTable: true,
  });
  const area = card.querySelector(".view") as HTMLElement;
  const title = card.querySelector("h2") as HTMLElement;
  title.tabIndex = -1;
  root.setAttribute("aria-labelledby", title.id);
  root.replaceChildren(card);

  let view: UsersView = DEFAULT_VIEW;
  let shownOnce = false;
  /** The cursor each page up to the current one starts after (the first page: none). */
  let pages: Cursor[] = [{}];
  let shown: Row[] = [];
  let run = 0;
  let downloading = false;

  const setState = (state: "loading" | "data" | "empty" | "error", message = "") => {
    setCardState(card, state, message);
    all.disabled = downloading || state !== "data";
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
      void change({ ...view, filter: {} });
      search.focus();
    });
    chip.append(remove);
    chips.replaceChildren(chip);
  };

  const load = async (): Promise<void> => {
    const mine = ++run;
    const page = pages.length - 1;
    const query = usersQuery(view, pages[page]);
    setState("loading", "Loading…");
    void host.then((h) => mine === run && showSource(card, PANEL, h, query.toString()));
    next.disabled = previous.disabled = first.disabled = true;
    let rows: Row[];
    try {
      rows = await fetchRows(`${PATH}?${query}`);
    } catch (cause) {
      if (mine !== run) return;
      shown = [];
      table.clear(area, PANEL);
      position.textContent = "";
      first.disabled = page === 0;
      setState("error", `Could not load users: ${(cause as Error).message}`);
      return;
    }
    if (mine !== run) return;
    // One row more than the page was asked for: there is a next page.
    shown = rows.slice(0, view.limit);
    const from = page * view.limit + 1;
    position.textContent = shown.length === 0 ? "" : `Users ${from}–${from + shown.length - 1}`;
    next.disabled = rows.length <= view.limit;
    previous.disabled = first.disabled = page === 0;
    if (shown.length === 0) {
      table.clear(area, PANEL);
      setState("empty", page === 0 ? "No users match." : "No more users.");
      return;
    }
    setState("data");
    table.draw(area, PANEL, shown, "");
    keepRows(card, PANEL, shown, "", `users_page_${page + 1}`);
  };

  /** A new search, sort, page size or filter: a history entry (`#users` when given), the first page. */
  const change = (to: UsersView, hash?: string) => {
    view = to;
    pages = [{}];
    showControls();
    const url = new URL(location.href);
    url.search = viewToUrl(view, url.searchParams).toString();
    if (hash !== undefined) url.hash = hash;
    history.pushState(null, "", url);
    return load();
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = search.value.trim().slice(0, MAX_SEARCH);
    if (text !== view.search) void change({ ...view, search: text });
    else {
      // The same search again: its first page afresh, no new history entry.
      pages = [{}];
      void load();
    }
  });
  for (const control of [sort, order, limit]) {
    control.addEventListener("change", () => {
      void change({
        ...view,
        sort: sort.value as UsersView["sort"],
        order: order.value as UsersView["order"],
        limit: Number(limit.value),
      });
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
  all.addEventListener("click", async () => {
    const asked = view;
    downloading = all.disabled = true;
    allStatus.setAttribute("role", "status");
    allStatus.textContent = "Fetching the matching users…";
    try {
      const { rows, more } = await allMatching(
        asked,
        (query) => fetchRows(`${PATH}?${query}`),
        (n) => {
          allStatus.textContent = `Fetched ${count(n)} users…`;
        },
      );
      downloadCsv("users_all_matching.csv", csv(PANEL, rows, ""));
      allStatus.textContent = more
        ? `Downloaded the first ${count(rows.length)}: more match. Narrow the search, or page through the endpoint (curl line) by keyset.`
        : `Downloaded all ${count(rows.length)} matching users.`;
    } catch (cause) {
      allStatus.setAttribute("role", "alert");
      allStatus.textContent = `Could not fetch every matching user: ${(cause as Error).message}`;
    } finally {
      downloading = false;
      all.disabled = card.dataset.state !== "data";
    }
  });

  const open = (filter: UsersFilter) => {
    void change({ ...DEFAULT_VIEW, sort: view.sort, order: view.order, limit: view.limit, filter }, "users");
    root.scrollIntoView({ block: "start" });
    // Keyboard and screen-reader users land on the section they asked for.
    title.focus({ preventScroll: true });
  };

  return {
    fromUrl(query) {
      const asked = viewFromUrl(new URLSearchParams(query));
      if (shownOnce && sameView(asked, view)) return Promise.resolve();
      shownOnce = true;
      view = asked;
      pages = [{}];
      showControls();
      return load();
    },
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
