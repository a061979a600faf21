/**
 * Asks Svix to deliver what Tinybird lacks, each gap by the one call that brings it: `recover` for
 * the failed (one `resend` each past the 14 days Svix recovers), `replay-missing` for the never
 * attempted, one `resend` per delivered-but-lost (or canceled) message. Each repair puts the messages back in Svix's queue, so a second run finds
 * them pending (or stored) and asks nothing twice. The two bulk repairs run as Svix background tasks
 * that take minutes: before asking for one, the running tasks of its kind are read, and the gaps one
 * covers wait on it instead of being asked for again (repair-tasks.ts). Nothing is asked of a disabled
 * endpoint: Svix would not deliver to it.
 */
import { SVIX_RECOVER_MS } from "../../clerk-access/svix-access";
import { GAP_KINDS, type Gap, type GapKind, type Ledger } from "./ledger";
import { assignGaps, type TaskWatch, watchTasks } from "./repair-tasks";
import {
  type Range,
  RECOVER_TASK,
  REPLAY_TASK,
  type RepairTaskType,
  type SvixDeliveries,
} from "./svix-deliveries";

/** Gaps a Svix task started earlier (by an earlier run, or by hand) is still repairing. */
export interface Waiting {
  task: string;
  type: RepairTaskType;
  kind: GapKind;
  count: number;
  /** When the task started (ISO). */
  runningSince: string;
}

export interface Repairs {
  /** Messages handed to each call. */
  recovered: number;
  replayed: number;
  resent: number;
  /** Svix's background tasks (recover, replay-missing) started by this run, to follow in the dashboard. */
  tasks: string[];
  /** Gaps not asked for because a running task covers them: repaired as far as the exit status goes. */
  waiting: Waiting[];
  /** Gaps no call was made for, or whose call failed, with why. */
  unrepaired: { kind: GapKind; count: number; reason: string }[];
  /** What Svix's task list showed that the reader must know (a task that failed, a list refused). */
  warnings: string[];
}

export interface RepairContext {
  svix: SvixDeliveries;
  /** Makes each resend's idempotency key unique to this run (a retried call is not resent twice). */
  runId: string;
  /** The command that fixes the endpoint's settings (re-enable it, restore its filter). */
  fixEndpoint: string;
  /** Told after each resend: one request per message can take a while. */
  resending?: (done: number, total: number) => void;
  /** Now (ms), for the age past which Svix no longer recovers a failed message. */
  now: number;
}

/** Room left before Svix's recover limit, for the time the run takes and clocks that differ. */
const RECOVER_MARGIN_MS = 60 * 60 * 1000;

/** The range covering every gap's creation time (Svix's `until` is exclusive). */
function span(gaps: Gap[]): Range {
  const times = gaps.map((g) => g.timestamp);
  return { since: new Date(Math.min(...times)), until: new Date(Math.max(...times) + 1) };
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function repairGaps(ledger: Ledger, context: RepairContext): Promise<Repairs> {
  const { svix } = context;
  const repairs: Repairs = {
    recovered: 0,
    replayed: 0,
    resent: 0,
    tasks: [],
    waiting: [],
    unrepaired: [],
    warnings: [],
  };
  const leave = (kind: GapKind, count: number, reason: string) => {
    if (count > 0) repairs.unrepaired.push({ kind, count, reason });
  };

  if (svix.endpoint.disabled) {
    for (const kind of GAP_KINDS) {
      leave(
        kind,
        ledger.gaps[kind].length,
        `endpoint ${svix.endpoint.id} is disabled, so Svix delivers nothing to it: ${context.fixEndpoint}`,
      );
    }
    return repairs;
  }

  /**
   * One background task over the gaps no running task of `type` covers: how many it took, or none
   * when Svix refused (left, with why). The covered ones wait on their task.
   */
  const task = async (
    kind: GapKind,
    type: RepairTaskType,
    gaps: Gap[],
    ask: (range: Range) => Promise<{ id: string }>,
  ) => {
    if (gaps.length === 0) return 0;
    const watch = await watchOrWarn(svix, type, repairs.warnings);
    for (const failed of watch.failed) {
      repairs.warnings.push(
        `Svix's ${type} task ${failed.id} (started ${failed.startedAt.toISOString()}) failed, and no later one ` +
          "ran: what it was to resend was not. This run asks again for what is still missing; see the task in " +
          "the Clerk dashboard → Webhooks → the endpoint, or GET /api/v1/background-task/" +
          failed.id,
      );
    }
    const { waiting, uncovered } = assignGaps(gaps, watch.running);
    for (const [running, covered] of waiting) {
      repairs.waiting.push({
        task: running.id,
        type,
        kind,
        count: covered.length,
        runningSince: running.startedAt.toISOString(),
      });
    }
    if (uncovered.length === 0) return 0;
    try {
      repairs.tasks.push((await ask(span(uncovered))).id);
      return uncovered.length;
    } catch (error) {
      leave(kind, uncovered.length, reasonOf(error));
      return 0;
    }
  };

  // Svix recovers the failed messages of the last 14 days; older ones are resent one by one below.
  const recoverFrom = context.now - SVIX_RECOVER_MS + RECOVER_MARGIN_MS;
  const recoverable = ledger.gaps.failed.filter((gap) => gap.timestamp >= recoverFrom);
  const tooOld = ledger.gaps.failed.filter((gap) => gap.timestamp < recoverFrom);
  repairs.recovered = await task("failed", RECOVER_TASK, recoverable, (range) => svix.recover(range));

  // Svix replays a message only to an endpoint whose filter takes its type.
  const filter = svix.endpoint.eventTypes;
  const takes = (gap: Gap) => !filter || filter.length === 0 || filter.includes(gap.eventType);
  const missing = ledger.gaps.neverAttempted.filter(takes);
  const filteredOut = ledger.gaps.neverAttempted.filter((gap) => !takes(gap));
  if (filteredOut.length > 0) {
    const types = [...new Set(filteredOut.map((g) => g.eventType))].sort().join(", ");
    leave(
      "neverAttempted",
      filteredOut.length,
      `the endpoint's event filter leaves out ${types}, which the stack subscribes to: ${context.fixEndpoint}`,
    );
  }
  repairs.replayed = await task("neverAttempted", REPLAY_TASK, missing, (range) => svix.replayMissing(range));

  const oneByOne: [GapKind, Gap[]][] = [
    ["failed", tooOld],
    ["deliveredNotStored", ledger.gaps.deliveredNotStored],
    ["canceled", ledger.gaps.canceled],
  ];
  const total = oneByOne.reduce((n, [, gaps]) => n + gaps.length, 0);
  let done = 0;
  for (const [kind, gaps] of oneByOne) {
    const failures: string[] = [];
    for (const gap of gaps) {
      try {
        await svix.resend(gap.id, `clerk-tinybird-reconcile-${context.runId}-${gap.id}`);
        repairs.resent += 1;
      } catch (error) {
        failures.push(reasonOf(error));
      }
      done += 1;
      context.resending?.(done, total);
    }
    // One line for many failures: they usually share a cause (a message past retention, say).
    if (failures.length > 0) leave(kind, failures.length, failures[0]!);
  }
  return repairs;
}

/**
 * Svix's tasks of a type, or none with a warning when it would not list them (a token not allowed
 * to, say): then every gap is asked for, as before there was a list to read.
 */
async function watchOrWarn(
  svix: SvixDeliveries,
  type: RepairTaskType,
  warnings: string[],
): Promise<TaskWatch> {
  try {
    return await watchTasks(svix, type);
  } catch (error) {
    warnings.push(
      `Could not read Svix's ${type} tasks (${reasonOf(error)}), so this run asks for every such gap: one a task ` +
        "of an earlier run is still repairing is then sent twice, which is harmless (readers count an event_id once).",
    );
    return { running: [], failed: [] };
  }
}
