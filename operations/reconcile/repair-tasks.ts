/**
 * Svix's background tasks for the two bulk repairs, read before asking for one. `recover` and
 * `replay-missing` each start a task that takes minutes; until it has resent them, the messages it
 * covers still look failed (or never attempted), so a second run would ask again. Instead the gaps a
 * running task covers wait on it, and the latest task having failed is worth a warning.
 *
 * Which gaps a task covers: `BackgroundTaskOut.data` is a free-form object. Svix documents a finished
 * recover or replay task's data as `{messagesSent}` only, and its `background_task.finished` operational
 * webhook's as `{messages_sent, endp_id?, since?, until?}`, every scope field optional. So a task whose
 * data names an endpoint covers only that endpoint, one whose data names a range only the messages in
 * it; one that names neither (the documented case) is taken to cover this endpoint, up to the moment it
 * started (a recover without `until` works up to then). Its start is read from its id, a KSUID as
 * svix-server's `QueueBackgroundTaskId` is (the first 4 bytes: seconds since 2014-05-13T16:53:20Z),
 * else its `updatedAt`.
 */
import { type BackgroundTaskOut, BackgroundTaskStatus } from "svix";
import type { Gap } from "./ledger";
import type { RepairTaskType, SvixDeliveries } from "./svix-deliveries";

export interface RepairTask {
  id: string;
  type: RepairTaskType;
  status: BackgroundTaskStatus;
  startedAt: Date;
  /** What its data says of its scope, when it says it. */
  endpoint?: string;
  since?: Date;
  until?: Date;
}

export interface TaskWatch {
  /** This endpoint's running tasks of the type, newest first. */
  running: RepairTask[];
  /** Its failed tasks started after every one that runs or finished: nothing redid their work yet. */
  failed: RepairTask[];
}

const KSUID_EPOCH_S = 1_400_000_000;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** When a KSUID-based id (`qtask_` + 27 base62 characters) was made; undefined for any other id. */
export function ksuidTime(id: string): Date | undefined {
  const ksuid = /^[a-z]+_([0-9A-Za-z]{27})$/.exec(id)?.[1];
  if (!ksuid) return undefined;
  let value = 0n;
  for (const c of ksuid) value = value * 62n + BigInt(BASE62.indexOf(c));
  if (value >> 160n !== 0n) return undefined;
  return new Date((Number(value >> 128n) + KSUID_EPOCH_S) * 1000);
}

function field(data: unknown, ...names: string[]): unknown {
  if (typeof data !== "object" || data === null) return undefined;
  for (const name of names) {
    const value = (data as Record<string, unknown>)[name];
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}

function time(value: unknown): Date | undefined {
  if (typeof value !== "string") return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function readTask(out: BackgroundTaskOut): RepairTask {
  const endpoint = field(out.data, "endpId", "endp_id", "endpointId", "endpoint_id");
  const since = time(field(out.data, "since"));
  const until = time(field(out.data, "until"));
  return {
    id: out.id,
    type: out.task as RepairTaskType,
    status: out.status,
    startedAt: ksuidTime(out.id) ?? out.updatedAt,
    ...(typeof endpoint === "string" ? { endpoint } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
  };
}

/** Whether a task may work on the endpoint (its data names it, or names none). */
function concerns(task: RepairTask, endpoint: { id: string; uid?: string | null }): boolean {
  return task.endpoint === undefined || task.endpoint === endpoint.id || task.endpoint === endpoint.uid;
}

/** Whether a running task will resend a gap: created in its range, before it started when it names none. */
export function covers(task: RepairTask, gap: Gap): boolean {
  const until = (task.until ?? task.startedAt).getTime();
  return gap.timestamp >= (task.since?.getTime() ?? 0) && gap.timestamp < until;
}

/** The gaps each running task covers (the newest covering one), and those none covers. */
export function assignGaps(gaps: Gap[], running: RepairTask[]) {
  const waiting = new Map<RepairTask, Gap[]>();
  const uncovered: Gap[] = [];
  for (const gap of gaps) {
    const task = running.find((t) => covers(t, gap));
    if (!task) uncovered.push(gap);
    else waiting.set(task, [...(waiting.get(task) ?? []), gap]);
  }
  return { waiting, uncovered };
}

/**
 * The endpoint's running tasks of a type (every page), and the failed ones newer than any that runs
 * or finished (read newest first, until one is older).
 */
export async function watchTasks(svix: SvixDeliveries, type: RepairTaskType): Promise<TaskWatch> {
  const ours = (page: BackgroundTaskOut[]) => page.map(readTask).filter((t) => concerns(t, svix.endpoint));
  const running: RepairTask[] = [];
  for await (const page of svix.tasks(type, BackgroundTaskStatus.Running)) running.push(...ours(page));
  let newest = Math.max(0, ...running.map((t) => t.startedAt.getTime()));
  for await (const page of svix.tasks(type, BackgroundTaskStatus.Finished)) {
    const finished = ours(page)[0];
    if (finished) {
      newest = Math.max(newest, finished.startedAt.getTime());
      break;
    }
  }
  const failed: RepairTask[] = [];
  for await (const page of svix.tasks(type, BackgroundTaskStatus.Failed)) {
    const tasks = ours(page);
    const newer = tasks.filter((t) => t.startedAt.getTime() > newest);
    failed.push(...newer);
    if (newer.length < tasks.length) break;
  }
  return { running, failed };
}
