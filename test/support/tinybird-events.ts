/**
 * A Tinybird Events API stand-in for batches: checks the contract (POST /v0/events, name, wait=true,
 * the token in the header only, NDJSON), stores every row it acknowledges, records when each request
 * came (on the test's clock) and how big it was, and plays queued faults first.
 */
import { readEventsRequest } from "./events-api-request";
import type { StubHandler, StubReply } from "./http-stub";

export interface TinybirdEventsOptions {
  token: string;
  dataSource: string;
  now: () => number;
}

export class TinybirdEvents {
  readonly rows: Record<string, unknown>[] = [];
  readonly times: number[] = [];
  readonly bodyBytes: number[] = [];
  readonly contractErrors: string[] = [];
  private readonly faults: { reply: StubReply; store: boolean }[] = [];
  /** From this many stored rows on, every request fails with 503 (an outage that outlasts the retries). */
  outageAfterRows = Number.POSITIVE_INFINITY;

  constructor(private readonly options: TinybirdEventsOptions) {}

  /** Answers the next request(s) with `reply`; `store` keeps the rows anyway (the answer is lost). */
  fault(reply: StubReply, times = 1, store = false): void {
    for (let i = 0; i < times; i++) this.faults.push({ reply, store });
  }

  readonly handler: StubHandler = (req) => {
    this.times.push(this.options.now());
    this.bodyBytes.push(req.body.length);
    const { rows, problems } = readEventsRequest(req, this.options);
    if (problems.length > 0) {
      this.contractErrors.push(problems.join(", "));
      return { status: 400, body: "stand-in: not an Events API request" };
    }
    const fault = this.faults.shift();
    if (fault) {
      if (fault.store) this.rows.push(...rows);
      return fault.reply;
    }
    if (this.rows.length >= this.outageAfterRows) return { status: 503, body: "stand-in outage" };
    this.rows.push(...rows);
    return { status: 200, body: { successful_rows: rows.length, quarantined_rows: 0 } };
  };

  /** Event ids as a reader sees them after de-duplication. */
  distinctIds(): Set<string> {
    return new Set(this.rows.map((r) => String(r.event_id)));
  }
}
