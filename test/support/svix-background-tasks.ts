/**
 * Svix's background tasks in the stand-in: what `recover` and `replay-missing` start, and the list
 * and get that read them (`GET /api/v1/background-task?status&task&limit&iterator&order`, `GET
 * /api/v1/background-task/{id}`), shaped as svix 2.5's `BackgroundTaskOut` and `ListResponse…` with
 * the OpenAPI contract's checks (limit 1–250, the status, task and order enums, a `qtask_` + KSUID
 * iterator; 422 otherwise), newest first unless `order=ascending`.
 *
 * A task does its work (`run`) when it finishes. With `hold` off it finishes as it starts; with
 * `hold` on it stays `running` until the test calls `finish`, as Svix's workers take minutes. Its
 * `data` is what Svix documents for these tasks (`{messagesSent}` once finished); with `scoped` on it
 * also names the endpoint and range, as the `background_task.finished` webhook's data may.
 */
import { randomBytes } from "node:crypto";
import type { RecordedRequest, StubReply } from "./http-stub";

export type TaskType = "endpoint.recover" | "endpoint.replay";
export type TaskStatus = "running" | "finished" | "failed";
const TYPES = [
  "endpoint.replay",
  "endpoint.recover",
  "application.stats",
  "message.broadcast",
  "sdk.generate",
  "event-type.aggregate",
  "application.purge_content",
  "endpoint.bulk-replay",
];
const STATUSES = ["running", "finished", "failed"];

export interface FakeTask {
  id: string;
  task: TaskType;
  status: TaskStatus;
  endpoint: string;
  since: string;
  until?: string;
  updatedAt: number;
  messagesSent?: number;
  /** The work: queues the messages, answers how many. */
  run: () => number;
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

let sequence = 0n;
/**
 * `qtask_` and a KSUID made at `at` (ms), as svix-server's ids are; its payload starts with a count, so
 * that ids made within one second still sort in the order they were made.
 */
export function taskId(at: number): string {
  sequence += 1n;
  const payload = (sequence << 64n) | BigInt(`0x${randomBytes(8).toString("hex")}`);
  let value = (BigInt(Math.floor(at / 1000) - 1_400_000_000) << 128n) | payload;
  let text = "";
  while (value > 0n) {
    text = BASE62[Number(value % 62n)] + text;
    value /= 62n;
  }
  return `qtask_${text.padStart(27, "0")}`;
}

const invalid = (field: string, msg: string): StubReply => ({
  status: 422,
  body: { detail: [{ loc: ["query", field], msg, type: "value_error" }] },
});

export class BackgroundTasks {
  readonly all: FakeTask[] = [];
  /** Tasks stay running until `finish` (else they finish as they start). */
  hold = false;
  /** Data names the endpoint and the range. */
  scoped = false;

  constructor(private readonly now: () => number) {}

  start(fields: Omit<FakeTask, "id" | "status" | "updatedAt">): FakeTask {
    const task: FakeTask = { ...fields, id: taskId(this.now()), status: "running", updatedAt: this.now() };
    this.all.push(task);
    if (!this.hold) this.finish(task.id);
    return task;
  }

  /** Ends the running task `id` (or every running one): `finished` does its work, `failed` none. */
  finish(id?: string, outcome: "finished" | "failed" = "finished"): FakeTask[] {
    const ended = this.all.filter((t) => t.status === "running" && (id === undefined || t.id === id));
    for (const task of ended) {
      task.status = outcome;
      task.updatedAt = this.now();
      if (outcome === "finished") task.messagesSent = task.run();
    }
    return ended;
  }

  json(task: FakeTask) {
    const scope = this.scoped
      ? { endpId: task.endpoint, since: task.since, ...(task.until ? { until: task.until } : {}) }
      : {};
    return {
      id: task.id,
      status: task.status,
      task: task.task,
      data: { ...scope, ...(task.messagesSent !== undefined ? { messagesSent: task.messagesSent } : {}) },
      updatedAt: new Date(task.updatedAt).toISOString(),
    };
  }

  /** Routes the background-task requests; undefined for any other path. */
  handle(req: RecordedRequest): StubReply | undefined {
    if (req.method !== "GET") return undefined;
    const one = /^\/api\/v1\/background-task\/([^/]+)$/.exec(req.path);
    if (one) {
      const task = this.all.find((t) => t.id === decodeURIComponent(one[1]!));
      return task
        ? { status: 200, body: this.json(task) }
        : { status: 404, body: { code: "not_found", detail: "Entity not found" } };
    }
    if (req.path !== "/api/v1/background-task") return undefined;
    const q = (name: string) => req.query.get(name) ?? undefined;
    const limit = Number(q("limit") ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 250) return invalid("limit", "must be 1 to 250");
    const status = q("status");
    if (status !== undefined && !STATUSES.includes(status)) return invalid("status", "unknown variant");
    const type = q("task");
    if (type !== undefined && !TYPES.includes(type)) return invalid("task", "unknown variant");
    const order = q("order") ?? "descending";
    if (order !== "ascending" && order !== "descending") return invalid("order", "unknown variant");
    const iterator = q("iterator");
    if (iterator !== undefined && !/^qtask_[A-Za-z0-9]{27}$/.test(iterator)) {
      return invalid("iterator", "String must match the following pattern: ^qtask_[A-Za-z0-9]{27}$");
    }
    const up = order === "ascending";
    const rest = this.all
      .filter((t) => (status === undefined || t.status === status) && (type === undefined || t.task === type))
      .filter((t) => iterator === undefined || (up ? t.id > iterator : t.id < iterator))
      .sort((a, b) => (a.id < b.id ? -1 : 1) * (up ? 1 : -1));
    const page = rest.slice(0, limit);
    return {
      status: 200,
      body: {
        data: page.map((t) => this.json(t)),
        iterator: page.at(-1)?.id ?? null,
        prevIterator: page[0] ? `-${page[0].id}` : null,
        done: rest.length <= limit,
      },
    };
  }
}
