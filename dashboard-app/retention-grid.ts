/**
 * The retention endpoint's rows as the triangle the heat map draws: one line per cohort, one cell per
 * period since its sign-up one, each with its numbers and the users filter listing the cell's users.
 * Plain data, no DOM, so it can be checked without a browser.
 */
import type { Granularity, Row } from "./panels";
import type { UsersFilter } from "./users-query";

export interface RetentionCell {
  cohort: string;
  cohortSize: number;
  periodNumber: number;
  /** First day of the activity period. */
  period: string;
  activeUsers: number;
  /** A ratio 0..1, as the endpoint gives it. */
  retention: number;
  /** False while the period is not over, or when the range cuts the cohort's sign-up period. */
  complete: boolean;
  /** The users endpoint's filters listing exactly the cell's `activeUsers` users. */
  filter: UsersFilter;
}

export interface RetentionCohort {
  cohort: string;
  size: number;
  /** Indexed by period number; the triangle's missing corner is absent. */
  cells: RetentionCell[];
}

export interface RetentionGrid {
  /** Columns: period numbers 0 .. periods - 1. */
  periods: number;
  cohorts: RetentionCohort[];
}

/** Rows (any order) to cohorts in order, each with its cells by period number. */
export function retentionGrid(rows: Row[]): RetentionGrid {
  const cohorts = new Map<string, RetentionCohort>();
  let periods = 0;
  for (const row of rows) {
    const cell: RetentionCell = {
      cohort: String(row.cohort),
      cohortSize: Number(row.cohort_size),
      periodNumber: Number(row.period_number),
      period: String(row.period),
      activeUsers: Number(row.active_users),
      retention: Number(row.retention),
      // A row without the column (an older endpoint) is taken as complete.
      complete: row.complete !== false && row.complete !== 0 && row.complete !== "false",
      filter: {
        created_from: String(row.created_from),
        created_to: String(row.created_to),
        active_from: String(row.active_from),
        active_to: String(row.active_to),
      },
    };
    let cohort = cohorts.get(cell.cohort);
    if (!cohort) {
      cohort = { cohort: cell.cohort, size: cell.cohortSize, cells: [] };
      cohorts.set(cell.cohort, cohort);
    }
    cohort.cells[cell.periodNumber] = cell;
    periods = Math.max(periods, cell.periodNumber + 1);
  }
  return { periods, cohorts: [...cohorts.values()].sort((a, b) => (a.cohort < b.cohort ? -1 : 1)) };
}

/** A ratio as the dashboard writes every ratio: a percent with one decimal. */
export const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;

/** The opacity of a cell's colour: its retention, with a floor so a small share still shows. */
export const shade = (ratio: number) =>
  ratio <= 0 ? 0 : Math.round((0.12 + 0.88 * Math.min(1, ratio)) * 100) / 100;

const UNIT: Record<Exclude<Granularity, "day">, string> = { week: "Week", month: "Month" };

/** A column's heading: "Week 0", "Month 3". */
export const periodHeading = (granularity: Exclude<Granularity, "day">, n: number) =>
  `${UNIT[granularity]} ${n}`;

/** What hovering or focusing a cell says: the cohort, the period, active users of cohort size, the share. */
export function cellSummary(cell: RetentionCell, granularity: Exclude<Granularity, "day">): string {
  return (
    `Cohort ${cell.cohort}, ${periodHeading(granularity, cell.periodNumber).toLowerCase()} (from ${cell.period}): ` +
    `${cell.activeUsers.toLocaleString("en-US")} active of ${cell.cohortSize.toLocaleString("en-US")} users, ` +
    `${percent(cell.retention)}${cell.complete ? "" : " (incomplete)"}`
  );
}
