/**
 * Every endpoint checks its range the same way (docs/analytics.md, "Ranges, periods and errors").
 * Tinybird Forward has no include files (Classic's `INCLUDE` is "not supported" in Forward's
 * migration guide), so each pipe writes the checks out: these tests hold every copy to the text of
 * user_growth's, so no endpoint drifts from the others' messages, bounds or defaults.
 */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { PipeNode } from "../../tinybird-model/pipe-file";
import { loadProject } from "../../tinybird-model/project";

const endpoints = loadProject(resolve(__dirname, "../.."))
  .pipes.map((p) => p.definition)
  .filter((p) => p.endpointNode !== undefined);
const reference = endpoints.find((p) => p.name === "user_growth")!;

/** The default range's first day: its last day less the default length, less one (`- 89`). */
const DEFAULT_START = /(toDate32\(\{\{ Date\(end_date\) \}\}\)|toDate32\(today\(\)\)) - (\d+)$/gm;

/** A node's text as lines without their indentation, the default length as `N`. */
const lines = (text = "") => text.split("\n").map((l) => l.trim().replace(DEFAULT_START, "$1 - N"));

/** The node of a pipe that reads the range (renders `Date(start_date)`). */
const rangeNode = (nodes: PipeNode[]) => nodes.find((n) => n.sql.includes("Date(start_date)"));

/** The lines of `all` from the one starting with `first` to the two after the one starting with `last`. */
function slice(all: string[], first: string, last: string): string[] {
  const from = all.findIndex((l) => l.startsWith(first));
  const to = all.findIndex((l, i) => i > from && l.startsWith(last));
  expect(
    [from, to].every((i) => i >= 0),
    `${first} … ${last} in user_growth`,
  ).toBe(true);
  return all.slice(from, to + 3);
}

/** Whether `block` appears in `all` as consecutive lines. */
const holds = (all: string[], block: string[]) =>
  all.some((_, i) => block.every((line, j) => all[i + j] === line));

const referenceLines = lines(rangeNode(reference.nodes)!.sql);
const BLOCKS: [string, string[]][] = [
  [
    "the upper bounds, checked before Date() reads the values",
    slice(
      referenceLines,
      "{% if defined(start_date) and start_date > '2149-06-06'",
      "{% if defined(end_date)",
    ),
  ],
  [
    "the range's days as Date32, a bound left out following the other",
    slice(
      referenceLines,
      "{% if defined(start_date) %} toDate32",
      "{% elif defined(start_date) %} greatest(",
    ),
  ],
  [
    "the calendar, 1970 on, and the order",
    slice(
      referenceLines,
      "{# After Date() checked the shape",
      "{% if defined(start_date) and defined(end_date)",
    ),
  ],
];

describe("the range checks written out in every endpoint", () => {
  const ranged = endpoints.filter((p) => rangeNode(p.nodes) !== undefined);

  it("finds the endpoints taking start_date and end_date, the billing ones among them", () => {
    expect(ranged.map((p) => p.name)).toEqual(
      expect.arrayContaining(["user_growth", "billing_subscriptions", "billing_trials", "billing_payments"]),
    );
    expect(BLOCKS.flatMap(([, block]) => block).join("\n")).toContain(
      "error('start_date must be a date from 1970-01-01 to 2149-06-06, as YYYY-MM-DD')",
    );
  });

  it.each(ranged.map((p) => [p.name, p] as const))("%s has user_growth's checks and bounds", (_, pipe) => {
    const all = lines(rangeNode(pipe.nodes)!.sql);
    for (const [what, block] of BLOCKS) expect(holds(all, block), what).toBe(true);
    // Both bounds' default length, and the one the description gives.
    const lengths = [...rangeNode(pipe.nodes)!.sql.matchAll(DEFAULT_START)].map((m) => Number(m[2]) + 1);
    const documented = /default the (\d+)\s+days ending/.exec(pipe.description ?? "")?.[1];
    expect(lengths).toEqual([Number(documented), Number(documented)]);
  });

  it("gives every per-period endpoint user_growth's periods node (but the default length) and a complete column", () => {
    const periods = (nodes: PipeNode[]) => nodes.find((n) => n.name === "periods");
    const want = periods(reference.nodes)!;
    const perPeriod = endpoints.filter((p) => periods(p.nodes) !== undefined);
    expect(perPeriod.length).toBeGreaterThanOrEqual(7);
    for (const pipe of perPeriod) {
      const node = periods(pipe.nodes)!;
      expect([lines(node.description), lines(node.sql)], pipe.name).toEqual([
        lines(want.description),
        lines(want.sql),
      ]);
      expect(pipe.description, pipe.name).toMatch(
        /`complete` is false for a (cohort )?period whose figures are partial/,
      );
    }
  });
});
