/** The summary a person reads at the end of a backfill, finished or not. */
import { count, duration } from "../../command-kit/progress";
import { KINDS } from "./events";
import { type BackfillReport, PLURAL } from "./run";

export function describeReport(report: BackfillReport, dataSource: string): string[] {
  const parts = KINDS.map((kind) => {
    const c = report.counts[kind];
    if (c.disabled) return `${PLURAL[kind]}: none (organizations are turned off for this instance)`;
    const total = c.total !== undefined && c.total !== c.listed ? ` (Clerk counted ${count(c.total)})` : "";
    return `${PLURAL[kind]}: ${count(c.listed)} listed, ${count(c.stored)} stored${total}`;
  });
  const stored = KINDS.reduce((n, k) => n + report.counts[k].stored, 0);
  if (report.ok) {
    return [
      `Backfill done in ${duration(report.elapsedMs)}: ${count(stored)} rows acknowledged by Tinybird in ${dataSource}.`,
      ...parts.map((p) => `  ${p}`),
      'Rows carry origin "backfill" and event ids backfill_<kind>_<id>: running it again adds nothing readers count twice.',
    ];
  }
  const where = report.stoppedAt
    ? ` at ${PLURAL[report.stoppedAt.kind]} from offset ${count(report.stoppedAt.offset)}`
    : "";
  return [
    `Backfill stopped after ${duration(report.elapsedMs)}${where}: ${report.failure ?? "unknown failure"}.`,
    "Got this far:",
    ...parts.map((p) => `  ${p}`),
    "Fix the cause and run it again: rows already stored keep their event ids, so readers count them once.",
  ];
}
