/**
 * Appends NDJSON batches to a data source through Tinybird's Events API, `wait=true` so a 200 means
 * written: batches well under the 10 MB request limit, at most a share of the ~100 requests/s a data
 * source takes (the live forwarder writes to it meanwhile), 429, 5xx and network faults retried after
 * Retry-After, else X-RateLimit-Reset, else backoff. A batch retried after a lost answer may be
 * stored twice under the same event ids, which readers de-duplicate.
 */
import { CommandError, fetchAnswer, withRetry } from "../../command-kit/command-shell";
import type { TinybirdOutcome } from "../../lambda/outcome";
import { classifyEventsAnswer, eventsHeaders, eventsUrl } from "../../lambda/tinybird";
import type { Clock } from "../clock";
import { RequestBudget } from "../rate-limit";

/** A request's body, kept far below Tinybird's 10 MB. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** Requests per second the backfill allows itself: half of what Tinybird takes per data source. */
export const TINYBIRD_REQUESTS_PER_SECOND = 50;
const REQUEST_TIMEOUT_MS = 120_000;

export interface AppenderOptions {
  host: string;
  dataSource: string;
  token: string;
  clock: Clock;
  attempts?: number;
  fetch?: typeof fetch;
}

export type Append = (lines: string[]) => Promise<void>;

/** Splits lines into request bodies of at most `maxBytes` (a longer single line goes alone). */
export function batches(lines: string[], maxBytes: number = MAX_BATCH_BYTES): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const line of lines) {
    const bytes = Buffer.byteLength(line) + 1;
    if (current.length > 0 && size + bytes > maxBytes) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(line);
    size += bytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}

export function createAppender(options: AppenderOptions): Append {
  const doFetch = options.fetch ?? fetch;
  const budget = new RequestBudget({ limit: TINYBIRD_REQUESTS_PER_SECOND, windowMs: 1_000 }, options.clock);
  const url = eventsUrl(options.host, options.dataSource);
  const where = `data source "${options.dataSource}" at ${options.host}`;

  async function once(body: string, rows: number): Promise<void> {
    await budget.take();
    const response = await fetchAnswer(
      doFetch,
      url,
      {
        method: "POST",
        headers: eventsHeaders(options.token),
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      },
      `Tinybird at ${options.host}`,
    );
    const { status } = response;
    const { outcome, retryAfterMs } = classifyEventsAnswer(
      {
        status,
        text: await response.text().catch(() => ""),
        retryAfter: response.headers.get("retry-after"),
        rateLimitReset: response.headers.get("x-ratelimit-reset"),
      },
      {
        host: options.host,
        dataSource: options.dataSource,
        token: "TINYBIRD_TOKEN",
        now: options.clock.now(),
      },
    );
    if (outcome.kind === "forwarded") return;
    if (outcome.kind === "quarantined") {
      throw new CommandError(
        `Tinybird quarantined ${outcome.quarantinedRows} of ${rows} rows in ${options.dataSource}_quarantine: the data source's ` +
          "schema no longer accepts Clerk events as the forwarder writes them; see that table's c__error column",
      );
    }
    const retried = RETRIED[outcome.kind];
    if (retried !== undefined) {
      if (retryAfterMs !== undefined) budget.pause(retryAfterMs);
      throw new CommandError(`Tinybird answered ${status} for ${where}${retried}`, {
        transient: true,
        retryAfterMs,
      });
    }
    throw new CommandError("detail" in outcome ? outcome.detail : `Tinybird answered ${status} for ${where}`);
  }

  return async (lines) => {
    if (lines.length === 0) return;
    const body = `${lines.join("\n")}\n`;
    await withRetry(() => once(body, lines.length), {
      attempts: options.attempts ?? 8,
      baseDelayMs: 1_000,
      maxDelayMs: 60_000,
      sleep: options.clock.sleep,
    });
  };
}

/**
 * The answers worth another try, and what their message adds. A batch retried after a 202 or a 422
 * may be stored twice under the same event ids, which readers de-duplicate; one never retried is lost.
 */
const RETRIED: Partial<Record<TinybirdOutcome["kind"], string>> = {
  tinybird_rate_limited: "",
  tinybird_unavailable: "",
  accepted_unconfirmed: " (queued, not confirmed, although wait=true was asked)",
  tinybird_partial_write: " (a materialized view failed part-way)",
};
