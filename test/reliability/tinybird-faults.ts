/**
 * A Tinybird Events API stand-in that fails the way a service does: 5xx, 429 with Retry-After,
 * no answer before the caller gives up, connection resets, slow answers near the caller's limit,
 * and, the source of duplicates, failures AFTER the row was stored (the answer is lost). It keeps
 * every stored row, so a run can be checked for loss and duplication afterwards.
 */
import type { ServerResponse } from "node:http";
import { readEventsRequest } from "../support/events-api-request";
import type { RecordedRequest, StubHandler, StubReply } from "../support/http-stub";
import { draw } from "./seeded";

export const TINYBIRD_FAULTS = [
  "ok",
  "slow",
  "5xx",
  "429",
  "timeout",
  "reset",
  "stored, then 5xx",
  "stored, then timeout",
  "stored, then reset",
] as const;
export type TinybirdFault = (typeof TINYBIRD_FAULTS)[number];

/** Whether the fault leaves the row stored (every fault but the plain failures). */
export function stores(fault: TinybirdFault): boolean {
  return !["5xx", "429", "timeout", "reset"].includes(fault);
}

/** Whether the caller is told the row was stored. */
export function acknowledges(fault: TinybirdFault): boolean {
  return fault === "ok" || fault === "slow";
}

/** Which fault the `arrival`th request carrying `eventId` meets. */
export type FaultPlan = (eventId: string, arrival: number) => TinybirdFault;

export interface StoredRow {
  eventId: string;
  receivedAt: number;
  row: Record<string, unknown>;
}

export interface FaultyTinybirdOptions {
  token: string;
  dataSource: string;
  /** The caller's timeout: slow answers come at 50–80 % of it. */
  callerTimeoutMs: number;
  plan: FaultPlan;
  seed: number;
}

export class FaultyTinybird {
  readonly rows: StoredRow[] = [];
  readonly faults = new Map<TinybirdFault, number>();
  /** Requests that broke the Events API contract (wrong path, token, data source, body). */
  readonly contractErrors: string[] = [];
  private readonly arrivals = new Map<string, number>();

  constructor(private readonly options: FaultyTinybirdOptions) {}

  get requests(): number {
    return [...this.faults.values()].reduce((a, b) => a + b, 0);
  }

  readonly handler: StubHandler = (req, res) => {
    const lines = this.parse(req);
    if (!lines) return { status: 400, body: { error: "stand-in: not an Events API request" } };
    const eventId = String(lines[0]!.event_id);
    const arrival = this.arrivals.get(eventId) ?? 0;
    this.arrivals.set(eventId, arrival + 1);
    const fault = this.options.plan(eventId, arrival);
    this.faults.set(fault, (this.faults.get(fault) ?? 0) + 1);
    if (stores(fault)) {
      for (const row of lines) {
        this.rows.push({
          eventId: String(row.event_id),
          receivedAt: Date.parse(String(row.received_at)),
          row,
        });
      }
    }
    const u = draw(this.options.seed, "tinybird answer", eventId, arrival);
    switch (fault) {
      case "ok":
        return stored(lines.length);
      case "slow":
        return later(this.options.callerTimeoutMs * (0.5 + 0.3 * u), stored(lines.length));
      case "5xx":
      case "stored, then 5xx":
        return { status: [500, 502, 503, 504][Math.floor(u * 4)]!, body: { error: "stand-in outage" } };
      case "429":
        return {
          status: 429,
          headers: { "retry-after": String(1 + Math.floor(u * 60)) },
          body: { error: "Too many requests" },
        };
      case "timeout":
      case "stored, then timeout":
        return untilCallerGivesUp(res);
      case "reset":
      case "stored, then reset":
        res.socket?.destroy();
        return undefined;
    }
  };

  /** The request's rows if it is what the forwarder must send: POST, token, data source, wait, NDJSON. */
  private parse(req: RecordedRequest): Record<string, unknown>[] | undefined {
    const { rows, problems } = readEventsRequest(req, this.options);
    if (rows.length !== 1 || typeof rows[0]?.event_id !== "string")
      problems.push("not one row with event_id");
    if (problems.length > 0) {
      this.contractErrors.push(problems.join(", "));
      return undefined;
    }
    return rows;
  }
}

function stored(rows: number): StubReply {
  return { status: 200, body: { successful_rows: rows, quarantined_rows: 0 } };
}

/** Answers after `ms` (latency, not synchronisation): unless the caller hung up first. */
function later(ms: number, reply: StubReply): Promise<StubReply | undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(reply), ms));
}

/** Never answers; settles when the caller closes the connection, so nothing is left pending. */
export function untilCallerGivesUp(res: ServerResponse): Promise<undefined> {
  return new Promise((resolve) => res.on("close", () => resolve(undefined)));
}
