/**
 * Appends NDJSON batches to a data source through Tinybird's Events API, `wait=true` so a 200 means
 * written: batches well under the 10 MB request limit, at most a share of the ~100 requests/s a data
 * source takes (the live forwarder writes to it meanwhile), 429, 5xx and network faults retried after
 * Retry-After, else X-RateLimit-Reset, else backoff. A batch retried after a lost answer may be
 * stored twice under the same event ids, which readers de-duplicate.
 */
import { withRetry } from "../../command-kit/command-shell";
import { serverDelayMs } from "../../lambda/retry-after";
import { quarantinedRowsOf } from "../../lambda/tinybird";
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

/** A batch Tinybird did not acknowledge; `message` says why and what to do. */
export class AppendError extends Error {
  override name = "AppendError";
  constructor(
    message: string,
    readonly transient: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
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
  const url = `${options.host}/v0/events?name=${encodeURIComponent(options.dataSource)}&wait=true`;
  const where = `data source "${options.dataSource}" at ${options.host}`;

  async function once(body: string, rows: number): Promise<void> {
    await budget.take();
    let response: Response;
    try {
      response = await doFetch(url, {
        method: "POST",
        // The token only in the header: a ?token= would land in access logs.
        headers: { authorization: `Bearer ${options.token}`, "content-type": "application/x-ndjson" },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new AppendError(`Could not reach Tinybird at ${options.host} (${cause})`, true);
    }
    const text = await response.text().catch(() => "");
    const status = response.status;
    if (status === 200 || status === 201) {
      const quarantined = quarantinedRowsOf(text);
      if (quarantined > 0) {
        throw new AppendError(
          `Tinybird quarantined ${quarantined} of ${rows} rows in ${options.dataSource}_quarantine: the data source's ` +
            "schema no longer accepts Clerk events as the forwarder writes them; see that table's c__error column",
          false,
        );
      }
      return;
    }
    if (status === 429 || status >= 500 || status === 202 || status === 422) {
      const now = options.clock.now();
      const hint = serverDelayMs(
        {
          retryAfter: response.headers.get("retry-after"),
          rateLimitReset: response.headers.get("x-ratelimit-reset"),
        },
        now,
      );
      if (hint !== undefined) budget.pause(hint);
      throw new AppendError(`Tinybird answered ${status} for ${where}${transientReason(status)}`, true, hint);
    }
    throw new AppendError(
      `Tinybird answered ${status} for ${where}: ${permanentFix(status, options.dataSource)}`,
      false,
    );
  }

  return async (lines) => {
    if (lines.length === 0) return;
    const body = `${lines.join("\n")}\n`;
    await withRetry(() => once(body, lines.length), {
      attempts: options.attempts ?? 8,
      baseDelayMs: 1_000,
      maxDelayMs: 60_000,
      sleep: options.clock.sleep,
      isRetryable: (error) => error instanceof AppendError && error.transient,
      retryAfterMs: (error) => (error instanceof AppendError ? error.retryAfterMs : undefined),
    });
  };
}

function transientReason(status: number): string {
  if (status === 202) return " (queued, not confirmed, although wait=true was asked)";
  if (status === 422) return " (a materialized view failed part-way)";
  return "";
}

function permanentFix(status: number, dataSource: string): string {
  if (status === 401 || status === 403) {
    return (
      `give TINYBIRD_TOKEN DATASOURCES:APPEND on ${dataSource} (the stack's clerk_append token); Tinybird answers 403 ` +
      `"Invalid token for DS autocreation" when the data source does not exist: check TINYBIRD_DATASOURCE`
    );
  }
  if (status === 404) return "TINYBIRD_HOST is not the region host of the token's workspace";
  if (status === 413)
    return "a batch was too large; this is a bug in the backfill's batching, please report it";
  if (status >= 300 && status < 400) {
    return "a redirect, not followed (the token would go with it): set TINYBIRD_HOST to the workspace's https region host";
  }
  return `check the data source's schema accepts the forwarder's NDJSON events; its error is in tinybird.datasources_ops_log`;
}
