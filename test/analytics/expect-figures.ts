import { expect } from "vitest";

/** Same rows, ratios compared to 3 decimals (both sides round to 4; ClickHouse breaks ties to even). */
export function expectSameFigures(
  actual: Record<string, unknown>[],
  expected: object[],
  ratios: string[] = [],
) {
  const split = (rows: object[]) =>
    rows.map((row) => {
      const exact = { ...row } as Record<string, unknown>;
      const inexact: Record<string, number> = {};
      for (const key of ratios) {
        inexact[key] = Number(exact[key]);
        delete exact[key];
      }
      return { exact, inexact };
    });
  const [got, want] = [split(actual), split(expected)];
  expect(got.map((r) => r.exact)).toEqual(want.map((r) => r.exact));
  got.forEach((row, i) => {
    for (const key of ratios)
      expect(row.inexact[key], `${key} of row ${i}`).toBeCloseTo(want[i]!.inexact[key]!, 3);
  });
}
