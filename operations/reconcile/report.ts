/** The ledger a person reads, and the one JSON line a program reads after it. */
import { count, duration } from "../../command-kit/progress";
import type { ReconcileReport } from "./run";

export interface ReportContext {
  since: Date;
  until: Date;
  appId: string;
  endpoint: string;
  repair: boolean;
}

/** The last line: every count and what was repaired, whatever happened. */
export function resultLine(report: ReconcileReport, context: ReportContext): Record<string, unknown> {
  const { counts } = report.ledger;
  const repairs = report.repairs;
  return {
    since: context.since.toISOString(),
    until: context.until.toISOString(),
    appId: context.appId,
    endpoint: context.endpoint,
    ...counts,
    gaps: counts.failed + counts.neverAttempted + counts.deliveredNotStored + counts.canceled,
    repaired: {
      recover: repairs?.recovered ?? 0,
      replayMissing: repairs?.replayed ?? 0,
      resend: repairs?.resent ?? 0,
    },
    tasks: repairs?.tasks ?? [],
    beingRepaired: repairs?.waiting ?? [],
    unrepaired: report.unrepaired,
    complete: report.unrepaired === 0,
    warnings: report.warnings,
  };
}

const ROWS: [key: keyof ReconcileReport["ledger"]["counts"], label: string, meaning: string][] = [
  ["messages", "messages", "sent for this endpoint in the window"],
  ["delivered", "delivered", "Svix saw a 2xx"],
  ["stored", "stored", "found in Tinybird"],
  ["failed", "failed", "Svix gave up after its retries (repair: recover)"],
  ["neverAttempted", "never attempted", "endpoint disabled or filtered when sent (repair: replay-missing)"],
  ["deliveredNotStored", "delivered, not stored", "lost after Tinybird stored them (repair: resend)"],
  ["canceled", "canceled", "Svix canceled the delivery (repair: resend)"],
  ["pending", "still pending", "inside Svix's retry schedule: left for a later run"],
  ["notForEndpoint", "not for this endpoint", "sent before it existed, or of a type it does not take"],
];

export function describeLedger(report: ReconcileReport, context: ReportContext): string[] {
  const { counts } = report.ledger;
  const width = Math.max(...ROWS.map(([key]) => count(counts[key]).length));
  const lines = [
    `Reconciled endpoint ${context.endpoint} (app ${context.appId}) from ${context.since.toISOString()} to ` +
      `${context.until.toISOString()} in ${duration(report.elapsedMs)}:`,
    ...ROWS.map(
      ([key, label, meaning]) => `  ${label.padEnd(22)} ${count(counts[key]).padStart(width)}  ${meaning}`,
    ),
  ];
  const repairs = report.repairs;
  if (repairs) {
    const tasks = repairs.tasks.length > 0 ? ` (Svix tasks ${repairs.tasks.join(", ")})` : "";
    lines.push(
      `Repairs asked of Svix: ${count(repairs.recovered)} failed recovered, ${count(repairs.replayed)} never-attempted ` +
        `replayed, ${count(repairs.resent)} resent one by one${tasks}. Follow them in the Clerk dashboard → Webhooks → ` +
        "the endpoint → Message Attempts; run this again later to see them stored.",
    );
    for (const w of repairs.waiting) {
      lines.push(
        `  being repaired: ${count(w.count)} ${w.kind} by Svix task ${w.task} (${w.type}, running since ` +
          `${w.runningSince}): not asked again`,
      );
    }
    for (const u of repairs.unrepaired)
      lines.push(`  not repaired: ${count(u.count)} ${u.kind}: ${u.reason}`);
  }
  const gaps = counts.failed + counts.neverAttempted + counts.deliveredNotStored + counts.canceled;
  if (report.unrepaired === 0 && gaps === 0) {
    lines.push(
      `Complete: every message is stored${counts.pending > 0 ? ` or still inside Svix's retries (${count(counts.pending)})` : ""}.`,
    );
  } else if (report.unrepaired === 0) {
    const waiting = repairs?.waiting.reduce((n, w) => n + w.count, 0) ?? 0;
    const still =
      waiting > 0
        ? ` (${count(waiting)} of them wait on Svix tasks still running: run this again once they finish)`
        : "";
    lines.push(`Every gap (${count(gaps)}) is on its way back${still}: nothing is left unrepaired.`);
  } else if (!context.repair) {
    lines.push(`${count(report.unrepaired)} messages are missing from Tinybird: run it again with --repair.`);
  } else {
    lines.push(`${count(report.unrepaired)} messages are still missing from Tinybird: see above.`);
  }
  return lines;
}
