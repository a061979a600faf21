import { describe, expect, it } from "vitest";
import { calendarDay, readViewState, viewSearch } from "../../dashboard-app/url-state";

const TODAY = new Date(Date.UTC(2025, 2, 31, 15));
const SECTIONS = ["overview", "billing", "users"];
const read = (search: string) => readViewState(search, TODAY, SECTIONS);

describe("the dashboard's view in its URL", () => {
  it("reads the last N days, a granularity, a section and a currency", () => {
    expect(read("?days=30&granularity=week&section=billing&currency=EUR")).toEqual({
      state: {
        start: "2025-03-02",
        end: "2025-03-31",
        days: 30,
        granularity: "week",
        section: "billing",
        currency: "EUR",
      },
      problems: [],
    });
  });

  it("defaults to the last 90 days by day", () => {
    expect(read("")).toEqual({
      state: { start: "2025-01-01", end: "2025-03-31", days: 90, granularity: "day" },
      problems: [],
    });
  });

  it("reads a fixed range, and completes one missing end", () => {
    expect(read("?start_date=2024-02-01&end_date=2024-02-29").state).toEqual({
      start: "2024-02-01",
      end: "2024-02-29",
      granularity: "day",
    });
    expect(read("?start_date=2025-03-01").state).toMatchObject({ start: "2025-03-01", end: "2025-03-31" });
    expect(read("?end_date=1970-01-10").state).toMatchObject({ start: "1970-01-01", end: "1970-01-10" });
  });

  it("names each bad parameter and uses its default", () => {
    const days = read("?days=abc");
    expect(days.state).toMatchObject({ start: "2025-01-01", end: "2025-03-31", days: 90 });
    expect(days.problems).toEqual([expect.stringMatching(/^days="abc" is not a whole number of days/)]);

    const garbage = read(
      "?start_date=garbage&end_date=2025-02-30&granularity=hour&section=nope&currency=dollars",
    );
    expect(garbage.state).toEqual({ start: "2025-01-01", end: "2025-03-31", days: 90, granularity: "day" });
    expect(garbage.problems.map((p) => p.split("=")[0])).toEqual([
      "start_date",
      "end_date",
      "granularity",
      "section",
      "currency",
    ]);

    const reversed = read("?start_date=2025-03-10&end_date=2025-03-01");
    expect(reversed.state).toMatchObject({ start: "2025-01-01", end: "2025-03-31" });
    expect(reversed.problems).toEqual([
      expect.stringContaining("start_date=2025-03-10 is after end_date=2025-03-01"),
    ]);
  });

  it("accepts the endpoints' calendar only", () => {
    expect(calendarDay("1970-01-01")).toBe("1970-01-01");
    expect(calendarDay("2149-06-06")).toBe("2149-06-06");
    for (const bad of ["1969-12-31", "2149-06-07", "2025-02-29", "2025-13-01", "25-01-01", " 2025-01-01"]) {
      expect(calendarDay(bad), bad).toBeUndefined();
    }
  });

  it("writes a view back, keeping parameters it does not own, and reads it the same", () => {
    const { state } = read("?days=30&granularity=week&section=users&currency=USD");
    const search = viewSearch({ ...state, granularity: "month" }, "?days=30&users_search=example.com");
    expect(search).toBe("?days=30&granularity=month&section=users&currency=USD&users_search=example.com");
    expect(read(search).state).toEqual({ ...state, granularity: "month" });
    const fixed = viewSearch({ start: "2025-01-06", end: "2025-03-30", granularity: "week" });
    expect(fixed).toBe("?start_date=2025-01-06&end_date=2025-03-30&granularity=week");
  });
});
