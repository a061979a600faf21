/**
 * The users list as a card, its pure parts: the CSV of the rows shown (the other cards' rules: units in
 * the header, raw values, quoting), "Download all matching" walking the keyset pages up to its cap, and
 * which URL changes are a different list (what back and forward reload).
 */
import { describe, expect, it } from "vitest";
import { csv, MAX_PAGE_SIZE, PANELS, type Row, tableColumns } from "../../dashboard-app/panels";
import {
  allMatching,
  DEFAULT_VIEW,
  DOWNLOAD_CAP,
  sameView,
  type UsersView,
  viewFromUrl,
  viewToUrl,
} from "../../dashboard-app/users-query";

const USERS = PANELS.find((p) => p.endpoint === "users")!;
const user = (n: number): Row => ({
  user_id: `user_${String(n).padStart(5, "0")}`,
  created_at: `2025-01-01 00:00:${String(n % 60).padStart(2, "0")}.000`,
  deleted_at: null,
  last_sign_in_at: null,
  last_active_at: "2025-03-01 12:00:00.000",
  days_active: n % 7,
  email_domain: "example.com",
  organizations: [],
});

describe("the users card's CSV", () => {
  it("holds every column the endpoint gives, times headed UTC, values raw, a list as JSON, quoted", () => {
    const rows: Row[] = [
      {
        user_id: "user_2abc",
        created_at: "2025-03-01 09:15:02.123",
        deleted_at: null,
        last_sign_in_at: "2025-03-30 18:00:00.000",
        last_active_at: "2025-03-30 18:05:00.000",
        days_active: 12,
        email_domain: 'exa"mple.com',
        organizations: ["org_a", "org_b"],
      },
      { ...user(1), organizations: [] },
    ];
    expect(tableColumns(USERS, rows)).toEqual(USERS.columns);
    expect(csv(USERS, rows, "").split("\r\n")).toEqual([
      "user_id,created_at (UTC),deleted_at (UTC),last_sign_in_at (UTC),last_active_at (UTC),days_active,email_domain,organizations",
      'user_2abc,2025-03-01 09:15:02.123,,2025-03-30 18:00:00.000,2025-03-30 18:05:00.000,12,"exa""mple.com","[""org_a"",""org_b""]"',
      "user_00001,2025-01-01 00:00:01.000,,,2025-03-01 12:00:00.000,1,example.com,[]",
      "",
    ]);
  });
});

describe("download all matching", () => {
  /** The endpoint over `total` users by id, descending, paging by `after_user_id` as it does. */
  function endpoint(total: number) {
    const all = Array.from({ length: total }, (_, i) => user(total - i));
    const asked: URLSearchParams[] = [];
    const fetchPage = async (query: URLSearchParams) => {
      asked.push(query);
      const after = query.get("after_user_id");
      const from = after === null ? 0 : all.findIndex((r) => r.user_id === after) + 1;
      return all.slice(from, from + Number(query.get("limit")));
    };
    return { all, asked, fetchPage };
  }
  const view: UsersView = { ...DEFAULT_VIEW, search: "user", filter: { created_from: "2025-01-01" } };

  it("walks the keyset pages, largest the relay takes, with the view's search and filter, telling the count", async () => {
    const { all, asked, fetchPage } = endpoint(450);
    const counts: number[] = [];
    const result = await allMatching(view, fetchPage, (n) => counts.push(n));
    expect(result).toEqual({ rows: all, more: false });
    expect(asked.map((q) => q.get("limit"))).toEqual(["200", "200", "200"]);
    expect(asked.every((q) => q.get("search") === "user" && q.get("created_from") === "2025-01-01")).toBe(
      true,
    );
    expect(asked[1]!.get("after_user_id")).toBe(all[199]!.user_id);
    expect(asked[1]!.get("after_created_at")).toBe(all[199]!.created_at);
    expect(counts).toEqual([200, 400, 450]);
    expect(Number(asked[0]!.get("limit"))).toBeLessThanOrEqual(MAX_PAGE_SIZE);
  });

  it("stops at its cap and says more match; exactly the cap is all", async () => {
    const over = endpoint(460);
    const capped = await allMatching(view, over.fetchPage, undefined, 400);
    expect(capped.rows).toEqual(over.all.slice(0, 400));
    expect(capped.more).toBe(true);
    // The last call asks one row past the cap, to know.
    expect(over.asked.map((q) => q.get("limit"))).toEqual(["200", "200", "1"]);
    const exact = endpoint(400);
    expect(await allMatching(view, exact.fetchPage, undefined, 400)).toEqual({
      rows: exact.all,
      more: false,
    });
    expect(DOWNLOAD_CAP / MAX_PAGE_SIZE).toBe(50);
  });

  it("fails with the page's error (the card says it)", async () => {
    await expect(
      allMatching(view, async () => {
        throw new Error("created_from must be a date");
      }),
    ).rejects.toThrow("created_from must be a date");
  });
});

describe("the users list on back and forward", () => {
  it("is the same list when only the page's own parameters or the hash differ, another when its own do", () => {
    const listed = viewFromUrl(new URLSearchParams("users_search=acme&users_created_from=2025-01-06"));
    const url = (query: string) => viewFromUrl(new URLSearchParams(query));
    expect(
      sameView(listed, url("days=30&granularity=week&users_created_from=2025-01-06&users_search=acme")),
    ).toBe(true);
    for (const other of [
      "users_search=acm&users_created_from=2025-01-06",
      "users_search=acme",
      "users_search=acme&users_created_from=2025-01-06&users_created_to=2025-01-12",
      "users_search=acme&users_created_from=2025-01-06&users_order=asc",
      "users_search=acme&users_created_from=2025-01-06&users_limit=50",
    ]) {
      expect(sameView(listed, url(other)), other).toBe(false);
    }
    // Written and read back: the same list.
    expect(sameView(url(viewToUrl(listed, new URLSearchParams("days=30")).toString()), listed)).toBe(true);
  });
});
