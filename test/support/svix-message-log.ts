/**
 * The message side of the Svix stand-in: the app's messages with their timestamps, each endpoint's
 * delivery status per message (Svix's statuses 0 Success, 1 Pending, 2 Fail, 3 Sending, 4 Canceled),
 * the two lists reconciliation reads (`GET /api/v1/app/{app}/msg` and `GET …/endpoint/{ep}/msg`, newest
 * first, paged with an iterator and `done`, at most 250 a page, 90 days back unless `after` is given),
 * and the three repairs (recover, replay-missing, resend), each recording what it queued. recover and
 * replay-missing start background tasks (svix-background-tasks.ts) that queue their messages when
 * they finish.
 *
 * Shapes follow svix 2.5's models (`MessageOut`, `EndpointMessageOut`, `ListResponse…`, `ReplayOut`)
 * and svix-server's listing (`v1/endpoints/message.rs`, `attempt.rs`, `utils/mod.rs`: descending ids,
 * `limit` over 250 refused with 422). Queued messages wait in status 3 (Sending) until the test settles
 * them, as Svix's workers would.
 */
import { randomBytes } from "node:crypto";
import type { RecordedRequest, StubReply } from "./http-stub";
import { BackgroundTasks } from "./svix-background-tasks";

const DAY = 86_400_000;

export type AttemptStatus = 0 | 1 | 2 | 3 | 4;
const STATUS_TEXT = ["success", "pending", "fail", "sending", "canceled"] as const;

export interface FakeMessage {
  /** `msg_…`: what Svix sends as `svix-id`, which the forwarder stores as `event_id`. */
  id: string;
  eventType: string;
  /** When Svix created it (ms). */
  timestamp: number;
}

/** One message Svix queued again for an endpoint, and which call did it. */
export interface FakeResend {
  endpoint: string;
  msgId: string;
  via: "recover" | "replay-missing" | "resend";
}

/** A recover or replay-missing request Svix accepted. */
export interface FakeRecovery {
  endpoint: string;
  since: string;
  until?: string;
}

/** What the log needs to know about an endpoint (the fake's own record). */
export interface LogEndpoint {
  id: string;
  eventTypes: string[] | null;
  disabled: boolean;
}

export interface MessageLogOptions {
  now: () => number;
  /** Days Svix keeps messages (payloads) for: older ones are neither listed nor resendable. */
  retentionDays?: number;
}

const svixError = (status: number, code: string, detail: string): StubReply => ({
  status,
  body: { code, detail },
});

/** Ids that sort by creation time, as Svix's KSUID-based ids do: the listing's order is the ids'. */
let sequence = 0;
export function messageId(timestamp: number): string {
  sequence += 1;
  return `msg_${timestamp.toString(36).padStart(9, "0")}${sequence.toString(36).padStart(6, "0")}${randomBytes(6).toString("hex")}`;
}

export class MessageLog {
  readonly messages: FakeMessage[] = [];
  /** endpoint id → message id → that endpoint's status for the message. */
  readonly attempts = new Map<string, Map<string, AttemptStatus>>();
  readonly resent: FakeResend[] = [];
  /** Every recover and replay-missing request Svix accepted. */
  readonly recoveries: FakeRecovery[] = [];
  readonly replays: FakeRecovery[] = [];
  /** The background tasks recover and replay-missing start. */
  readonly tasks: BackgroundTasks;
  private readonly retentionMs: number;

  constructor(private readonly options: MessageLogOptions) {
    this.retentionMs = (options.retentionDays ?? 90) * DAY;
    this.tasks = new BackgroundTasks(options.now);
  }

  /** Adds a message the app sent (`at` its timestamp), attempted on `endpoint` with `status` if given. */
  add(eventType: string, at: number, attempt?: { endpoint: string; status: AttemptStatus }): FakeMessage {
    const message = { id: messageId(at), eventType, timestamp: at };
    this.messages.push(message);
    if (attempt) this.setStatus(attempt.endpoint, message.id, attempt.status);
    return message;
  }

  setStatus(endpoint: string, msgId: string, status: AttemptStatus): void {
    if (!this.attempts.has(endpoint)) this.attempts.set(endpoint, new Map());
    this.attempts.get(endpoint)!.set(msgId, status);
  }

  statusOf(endpoint: string, msgId: string): AttemptStatus | undefined {
    return this.attempts.get(endpoint)?.get(msgId);
  }

  /**
   * Plays Svix's workers: every message queued for `endpoint` (status 3) is delivered with `deliver`,
   * which answers whether the endpoint took it (2xx): status 0, else 2. Returns the delivered ones.
   */
  settle(endpoint: string, deliver: (message: FakeMessage) => boolean = () => true): FakeMessage[] {
    const queued = this.messages.filter((m) => this.statusOf(endpoint, m.id) === 3);
    for (const m of queued) this.setStatus(endpoint, m.id, deliver(m) ? 0 : 2);
    return queued;
  }

  private retained(m: FakeMessage): boolean {
    return m.timestamp >= this.options.now() - this.retentionMs;
  }

  /**
   * Routes the message requests; undefined for any other path. `endpointOf` finds an endpoint of the
   * app by id or uid.
   */
  handle(
    req: RecordedRequest,
    app: string,
    endpointOf: (idOrUid: string) => LogEndpoint | undefined,
  ): StubReply | undefined {
    const base = `/api/v1/app/${app}`;
    if (!req.path.startsWith(`${base}/`)) return undefined;
    const rest = req.path.slice(base.length);
    if (rest === "/msg" && req.method === "GET") return this.list(req, this.messages, () => ({}));
    const listed = /^\/endpoint\/([^/]+)\/msg$/.exec(rest);
    if (listed && req.method === "GET") {
      const endpoint = endpointOf(decodeURIComponent(listed[1]!));
      if (!endpoint) return svixError(404, "not_found", "Entity not found");
      const statuses = this.attempts.get(endpoint.id) ?? new Map<string, AttemptStatus>();
      const wanted = req.query.get("status");
      const attempted = this.messages.filter(
        (m) => statuses.has(m.id) && (wanted === null || String(statuses.get(m.id)) === wanted),
      );
      return this.list(req, attempted, (m) => {
        const status = statuses.get(m.id)!;
        return { status, statusText: STATUS_TEXT[status], nextAttempt: null };
      });
    }
    const task = /^\/endpoint\/([^/]+)\/(recover|replay-missing)$/.exec(rest);
    if (task && req.method === "POST") {
      const endpoint = endpointOf(decodeURIComponent(task[1]!));
      if (!endpoint) return svixError(404, "not_found", "Entity not found");
      return this.requeue(req, endpoint, task[2] as "recover" | "replay-missing");
    }
    const resend = /^\/msg\/([^/]+)\/endpoint\/([^/]+)\/resend$/.exec(rest);
    if (resend && req.method === "POST") {
      const endpoint = endpointOf(decodeURIComponent(resend[2]!));
      const message = this.messages.find((m) => m.id === decodeURIComponent(resend[1]!));
      if (!endpoint || !message || !this.retained(message))
        return svixError(404, "not_found", "Entity not found");
      this.setStatus(endpoint.id, message.id, 3);
      this.resent.push({ endpoint: endpoint.id, msgId: message.id, via: "resend" });
      return { status: 202, body: {} };
    }
    return undefined;
  }

  /** A page of `items`, newest first, within before/after (90 days back when `after` is absent). */
  private list(
    req: RecordedRequest,
    items: FakeMessage[],
    extra: (m: FakeMessage) => Record<string, unknown>,
  ): StubReply {
    const limit = Number(req.query.get("limit") ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 250) {
      return {
        status: 422,
        body: {
          detail: [{ loc: ["query", "limit"], msg: "Given limit must not exceed 250", type: "value_error" }],
        },
      };
    }
    const time = (name: string) => {
      const value = req.query.get(name);
      return value === null ? undefined : Date.parse(value);
    };
    const before = time("before");
    const after = time("after") ?? (before ?? this.options.now()) - 90 * DAY;
    const sorted = items
      .filter(
        (m) => this.retained(m) && m.timestamp > after && (before === undefined || m.timestamp < before),
      )
      .sort((a, b) => (a.id < b.id ? 1 : -1));
    const iterator = req.query.get("iterator");
    const from = iterator === null ? 0 : sorted.findIndex((m) => m.id < iterator);
    const rest = from < 0 ? [] : sorted.slice(from);
    const page = rest.slice(0, limit);
    return {
      status: 200,
      body: {
        data: page.map((m) => ({
          id: m.id,
          eventId: null,
          eventType: m.eventType,
          payload: {},
          channels: null,
          timestamp: new Date(m.timestamp).toISOString(),
          ...extra(m),
        })),
        iterator: page.at(-1)?.id ?? null,
        prevIterator: page[0] ? `-${page[0].id}` : null,
        done: rest.length <= limit,
      },
    };
  }

  /** recover (the endpoint's failed messages) or replay-missing (those never attempted on it). */
  private requeue(req: RecordedRequest, endpoint: LogEndpoint, via: "recover" | "replay-missing"): StubReply {
    const body = JSON.parse(req.text || "{}") as { since?: string; until?: string | null };
    if (!body.since || Number.isNaN(Date.parse(body.since))) {
      return {
        status: 422,
        body: { detail: [{ loc: ["body", "since"], msg: "invalid datetime", type: "value_error" }] },
      };
    }
    const since = Date.parse(body.since);
    // svix-server's endpoint/recovery.rs: 14 days, and five minutes for clocks that differ.
    if (via === "recover" && since < this.options.now() - 14 * DAY - 5 * 60_000) {
      return {
        status: 422,
        body: {
          detail: [
            {
              loc: ["body", "since"],
              msg: "Cannot recover messages more than 14 days old.",
              type: "value_error",
            },
          ],
        },
      };
    }
    const until = body.until ? Date.parse(body.until) : Number.POSITIVE_INFINITY;
    (via === "recover" ? this.recoveries : this.replays).push({
      endpoint: endpoint.id,
      since: body.since,
      ...(body.until ? { until: body.until } : {}),
    });
    // Svix picks the messages as its task works through the range, not when it is asked.
    const run = () => {
      const statuses = this.attempts.get(endpoint.id);
      const chosen = this.messages.filter((m) => {
        if (!this.retained(m) || m.timestamp < since || m.timestamp >= until) return false;
        const status = statuses?.get(m.id);
        if (via === "recover") return status === 2;
        // Svix dispatches a replay as it would the message: only to an endpoint that takes its type.
        return (
          status === undefined && !endpoint.disabled && (endpoint.eventTypes?.includes(m.eventType) ?? true)
        );
      });
      for (const m of chosen) {
        this.setStatus(endpoint.id, m.id, 3);
        this.resent.push({ endpoint: endpoint.id, msgId: m.id, via });
      }
      return chosen.length;
    };
    const task = this.tasks.start({
      task: via === "recover" ? "endpoint.recover" : "endpoint.replay",
      endpoint: endpoint.id,
      since: body.since,
      ...(body.until ? { until: body.until } : {}),
      run,
    });
    // Svix answers as the task starts, whatever becomes of it.
    return { status: 202, body: { ...this.tasks.json(task), data: undefined, status: "running" } };
  }
}
