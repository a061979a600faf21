/**
 * The reconciliation itself, as a pure function: Svix's messages, the endpoint's status for each,
 * and the event ids Tinybird holds, folded into one ledger. A message is matched on its id: the
 * forwarder stores the `svix-id` header (the Svix message id, `msg_…`) as `event_id`.
 *
 * Stored in Tinybird settles a message whatever Svix says. Of those not stored:
 * - failed: Svix gave up after its retries (status 2): `recover` resends them;
 * - never attempted: no attempt on this endpoint (disabled, or filtered out, when it was sent):
 *   `replay-missing` sends them;
 * - delivered but not stored: Svix saw a 2xx (status 0), Tinybird has nothing (the row was lost
 *   later): only a per-message `resend` repairs it; likewise canceled (4) deliveries;
 * - pending: still inside Svix's retry schedule (1, 3), or too new to have been attempted: left for
 *   a later run.
 */
import type { Attempted, Message } from "./svix-deliveries";

/** Unattempted messages younger than this may simply not have been dispatched yet. */
export const DISPATCH_GRACE_MS = 5 * 60_000;

export type GapKind = "failed" | "neverAttempted" | "deliveredNotStored" | "canceled";
export const GAP_KINDS: readonly GapKind[] = ["failed", "neverAttempted", "deliveredNotStored", "canceled"];

export interface Counts {
  /** Messages in the window the endpoint was meant to receive. */
  messages: number;
  /** Svix: delivered (a 2xx). */
  delivered: number;
  /** Found in Tinybird. */
  stored: number;
  failed: number;
  neverAttempted: number;
  deliveredNotStored: number;
  canceled: number;
  pending: number;
  /** In the window but not for this endpoint: sent before it existed, or of a type it does not take. */
  notForEndpoint: number;
}

/** A message missing from Tinybird that a repair can bring. */
export interface Gap {
  id: string;
  timestamp: number;
  eventType: string;
}

export interface Ledger {
  counts: Counts;
  gaps: Record<GapKind, Gap[]>;
}

export function emptyLedger(): Ledger {
  return {
    counts: {
      messages: 0,
      delivered: 0,
      stored: 0,
      failed: 0,
      neverAttempted: 0,
      deliveredNotStored: 0,
      canceled: 0,
      pending: 0,
      notForEndpoint: 0,
    },
    gaps: { failed: [], neverAttempted: [], deliveredNotStored: [], canceled: [] },
  };
}

export interface Scope {
  /** When the endpoint was created: nothing sent before was ever meant for it. */
  endpointCreatedAt: number;
  /** Whether the stack subscribes to an event type. */
  wants: (eventType: string) => boolean;
  now: number;
}

/** Folds one slice of the window into the ledger. */
export function reconcileSlice(
  ledger: Ledger,
  messages: Message[],
  attempted: Map<string, Attempted>,
  stored: ReadonlySet<string>,
  scope: Scope,
): void {
  const { counts, gaps } = ledger;
  for (const message of messages) {
    if (message.timestamp < scope.endpointCreatedAt || !scope.wants(message.eventType)) {
      counts.notForEndpoint += 1;
      continue;
    }
    counts.messages += 1;
    const status = attempted.get(message.id)?.status;
    if (status === 0) counts.delivered += 1;
    if (stored.has(message.id)) {
      counts.stored += 1;
      continue;
    }
    const gap = { id: message.id, timestamp: message.timestamp, eventType: message.eventType };
    const kind = gapKind(status, scope.now - message.timestamp);
    if (kind === "pending") counts.pending += 1;
    else {
      counts[kind] += 1;
      gaps[kind].push(gap);
    }
  }
}

function gapKind(status: number | undefined, ageMs: number): GapKind | "pending" {
  switch (status) {
    case undefined:
      return ageMs < DISPATCH_GRACE_MS ? "pending" : "neverAttempted";
    case 0:
      return "deliveredNotStored";
    case 2:
      return "failed";
    case 4:
      return "canceled";
    default:
      // 1 Pending, 3 Sending: Svix will try again on its own.
      return "pending";
  }
}

export function gapCount(ledger: Ledger): number {
  return GAP_KINDS.reduce((n, kind) => n + ledger.gaps[kind].length, 0);
}
