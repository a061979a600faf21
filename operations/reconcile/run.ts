/**
 * One reconciliation over a window, a day at a time (so memory holds one day's ids however long the
 * window): the day's messages and the endpoint's attempts from Svix, the day's stored ids from
 * Tinybird (read an hour wider on each side: Clerk's event time and Svix's message time differ by
 * the moment it took Clerk to hand the event over), folded into the ledger; then, with `repair`, the
 * repairs. Failures throw (the caller reports them); the report says what was found and done.
 */

import { count, duration, type Progress } from "../../command-kit/progress";
import type { Clock } from "../clock";
import { emptyLedger, gapCount, type Ledger, reconcileSlice } from "./ledger";
import { type Repairs, repairGaps } from "./repair";
import type { ReadStored } from "./stored-events";
import type { Attempted, SvixDeliveries } from "./svix-deliveries";

const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** How far Clerk's event time may sit from Svix's message time: the Tinybird read is this much wider. */
export const EVENT_TIME_SLACK_MS = HOUR;
/** Svix's default retention of messages (docs.svix.com/retention); Clerk's plan with Svix is unconfirmed. */
export const SVIX_RETENTION_DAYS = 90;

export interface ReconcileRequest {
  since: Date;
  until: Date;
  repair: boolean;
  /** Width of each slice of the window (tests use small ones). */
  sliceMs?: number;
}

/** What the progress line shows: the day being checked, or the resends under way. */
export type ReconcileProgress =
  | { phase: "checking"; day: string; slice: number; slices: number; listed: number }
  | { phase: "resending"; done: number; total: number };

export interface ReconcileDeps {
  svix: SvixDeliveries;
  readStored: ReadStored;
  clock: Clock;
  progress: Progress<ReconcileProgress>;
  /** The event types the stack subscribes to ([] every type); undefined: the endpoint's filter decides. */
  wantedTypes: string[] | undefined;
  runId: string;
  /** The command that fixes the endpoint's settings, for messages. */
  fixEndpoint: string;
}

export interface ReconcileReport {
  ledger: Ledger;
  repairs?: Repairs;
  /** Things the reader must know that do not stop the run. */
  warnings: string[];
  /** Gaps still without a repair (those a running Svix task covers count as repaired). */
  unrepaired: number;
  elapsedMs: number;
}

export function describeReconcileProgress(state: ReconcileProgress, elapsedMs: number): string {
  if (state.phase === "resending") {
    return `resending messages one by one: ${count(state.done)} of ${count(state.total)} · ${duration(elapsedMs)}`;
  }
  const rate = elapsedMs > 0 ? Math.round((state.listed * 1000) / elapsedMs) : 0;
  return (
    `reconciling ${state.day} (${state.slice} of ${state.slices}): ${count(state.listed)} messages checked · ` +
    `${count(rate)} messages/s · ${duration(elapsedMs)}`
  );
}

export async function runReconcile(request: ReconcileRequest, deps: ReconcileDeps): Promise<ReconcileReport> {
  const started = deps.clock.now();
  const { svix } = deps;
  const endpoint = svix.endpoint;
  const warnings = windowWarnings(request, deps);
  const filter =
    endpoint.eventTypes && endpoint.eventTypes.length > 0 ? new Set(endpoint.eventTypes) : undefined;
  const wantsAll = deps.wantedTypes !== undefined && deps.wantedTypes.length === 0;
  const wanted = deps.wantedTypes && deps.wantedTypes.length > 0 ? new Set(deps.wantedTypes) : undefined;
  const wants = (type: string) => wantsAll || ((wanted ?? filter)?.has(type) ?? true);
  const dropped = wanted ? [...wanted].filter((t) => !filter?.has(t)) : [];
  if (filter && (wantsAll || dropped.length > 0)) {
    const what = wantsAll
      ? `takes only ${[...filter].join(", ")}, but the stack subscribes to every event type`
      : `leaves out ${dropped.join(", ")}, which the stack subscribes to`;
    warnings.push(
      `The endpoint's event filter ${what} (someone changed it in the Clerk dashboard), so those messages were ` +
        `never attempted: ${deps.fixEndpoint}`,
    );
  }
  if (endpoint.disabled) {
    warnings.push(
      `Endpoint ${endpoint.id} is disabled: Svix attempts nothing on it, so every message since is never attempted. ` +
        deps.fixEndpoint,
    );
  }

  const ledger = emptyLedger();
  const scope = { endpointCreatedAt: endpoint.createdAt.getTime(), wants, now: deps.clock.now() };
  const sliceMs = request.sliceMs ?? DAY;
  const slices = Math.max(1, Math.ceil((request.until.getTime() - request.since.getTime()) / sliceMs));
  let listed = 0;
  for (let i = 0; i < slices; i++) {
    const since = new Date(request.since.getTime() + i * sliceMs);
    const until = new Date(Math.min(request.until.getTime(), since.getTime() + sliceMs));
    const range = { since, until };
    const show = (force = false) =>
      deps.progress.update(
        {
          phase: "checking",
          day: since.toISOString().slice(0, 16).replace("T", " "),
          slice: i + 1,
          slices,
          listed,
        },
        force,
      );
    const attempted = new Map<string, Attempted>();
    for await (const page of svix.attempted(range)) for (const m of page) attempted.set(m.id, m);
    const messages = [];
    for await (const page of svix.messages(range)) {
      messages.push(...page);
      listed += page.length;
      show();
    }
    const stored = await deps.readStored(
      new Date(since.getTime() - EVENT_TIME_SLACK_MS),
      new Date(until.getTime() + EVENT_TIME_SLACK_MS),
    );
    reconcileSlice(ledger, messages, attempted, stored, scope);
    show(true);
  }
  deps.progress.finish();

  let repairs: Repairs | undefined;
  let unrepaired = gapCount(ledger);
  if (request.repair && unrepaired > 0) {
    repairs = await repairGaps(ledger, {
      svix,
      runId: deps.runId,
      fixEndpoint: deps.fixEndpoint,
      now: deps.clock.now(),
      resending: (done, total) => deps.progress.update({ phase: "resending", done, total }, done === total),
    });
    deps.progress.finish();
    warnings.push(...repairs.warnings);
    unrepaired = repairs.unrepaired.reduce((n, u) => n + u.count, 0);
  }
  return {
    ledger,
    ...(repairs ? { repairs } : {}),
    warnings,
    unrepaired,
    elapsedMs: deps.clock.now() - started,
  };
}

function windowWarnings(request: ReconcileRequest, deps: ReconcileDeps): string[] {
  const retentionStart = deps.clock.now() - SVIX_RETENTION_DAYS * DAY;
  if (request.since.getTime() >= retentionStart) return [];
  const days = Math.floor((deps.clock.now() - request.since.getTime()) / DAY);
  return [
    `The window starts ${days} days ago, past Svix's retention (${SVIX_RETENTION_DAYS} days by default): messages ` +
      `from before ${new Date(retentionStart).toISOString()} are gone from Svix, so they can be neither checked nor ` +
      "resent, and what Tinybird holds of them is all there is. Only the rest of the window is proven.",
  ];
}
