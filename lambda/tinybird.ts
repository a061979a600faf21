/**
 * Tinybird's Events API: one NDJSON line per call, `wait=true` so a 200 means the row is written,
 * the token only in the Authorization header (a `?token=` would land in access logs). Connections
 * are kept alive between calls, so a warm container reuses one TCP+TLS connection.
 * Every answer becomes a TinybirdOutcome (classifyEventsAnswer, which the backfill reads its answers
 * with too); nothing here throws.
 */
import { createKeepAlivePost } from "./http-post";
import type { TinybirdOutcome } from "./outcome";
import { type HeaderValue, serverDelayMs } from "./retry-after";

export interface TinybirdClientOptions {
  host: string;
  dataSource: string;
  now?: () => number;
}

export interface TinybirdClient {
  /** Appends one line (a JSON object, no newline) with `token`, giving up after `timeoutMs`. */
  append(line: string, token: string, timeoutMs: number): Promise<TinybirdOutcome>;
}

/** Retry-After values Svix is told, in seconds; Tinybird's own figure is kept within these bounds. */
const RETRY_AFTER_BOUNDS = { min: 1, max: 300 } as const;

/** The Events API call both appenders make: `wait=true`, so a 200 means the rows are written. */
export function eventsUrl(host: string, dataSource: string): URL {
  return new URL(`${host}/v0/events?name=${encodeURIComponent(dataSource)}&wait=true`);
}

/** The token only in the Authorization header: a `?token=` would land in access logs. */
export function eventsHeaders(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" };
}

export function createTinybirdClient(options: TinybirdClientOptions): TinybirdClient {
  const post = createKeepAlivePost();
  const now = options.now ?? Date.now;
  const url = eventsUrl(options.host, options.dataSource);

  return {
    async append(line, token, timeoutMs) {
      const result = await post(url, eventsHeaders(token), `${line}\n`, timeoutMs);
      if (!result.ok && result.failure === "timeout") return { kind: "tinybird_timeout", timeoutMs };
      if (!result.ok) {
        const where = `data source "${options.dataSource}" at ${options.host}`;
        return { kind: "tinybird_unreachable", detail: `POST ${where} failed: ${result.detail}` };
      }
      const answer = {
        status: result.status,
        text: result.text,
        retryAfter: result.headers["retry-after"],
        rateLimitReset: result.headers["x-ratelimit-reset"],
      };
      return classifyEventsAnswer(answer, { ...options, token: TOKEN_IN_SECRET, now: now() }).outcome;
    },
  };
}

/** How the forwarder's messages name its token. */
const TOKEN_IN_SECRET = `the token in the secret's "tinybirdToken"`;

/** An Events API answer, as either appender received it. */
export interface EventsAnswer {
  status: number;
  text: string;
  retryAfter?: HeaderValue;
  rateLimitReset?: HeaderValue;
}

export interface AnswerContext {
  host: string;
  dataSource: string;
  /** How messages name the token that was sent (`TINYBIRD_TOKEN`, the secret's `tinybirdToken`). */
  token: string;
  now: number;
}

/**
 * The one reading of an Events API answer, for the forwarder (one event) and the backfill (a batch):
 * what it means, with the fix a person reads, and the delay the server asked for (Retry-After, else
 * X-RateLimit-Reset), unclamped. Each caller decides what to do with it.
 */
export function classifyEventsAnswer(
  answer: EventsAnswer,
  context: AnswerContext,
): { outcome: TinybirdOutcome; retryAfterMs?: number } {
  const retryAfterMs = serverDelayMs(answer, context.now);
  const outcome = outcomeOf(answer, context, retryAfterMs);
  return retryAfterMs === undefined ? { outcome } : { outcome, retryAfterMs };
}

function outcomeOf(
  { status, text }: EventsAnswer,
  { host, dataSource, token }: AnswerContext,
  retryAfterMs: number | undefined,
): TinybirdOutcome {
  const where = `data source "${dataSource}" at ${host}`;
  if (status === 200 || status === 201) {
    const quarantinedRows = quarantinedRowsOf(text);
    return quarantinedRows > 0
      ? { kind: "quarantined", tinybirdStatus: status, quarantinedRows }
      : { kind: "forwarded", tinybirdStatus: status };
  }
  if (status === 202) return { kind: "accepted_unconfirmed", tinybirdStatus: status };
  // Tinybird's answer when the data source does not exist and the token may only append to it.
  if (status === 403 && /DS autocreation/i.test(text)) {
    return {
      kind: "tinybird_data_source_missing",
      tinybirdStatus: status,
      detail:
        `Tinybird answered 403 "Invalid token for DS autocreation": ${where} does not exist (deleted, or ` +
        "TINYBIRD_DATASOURCE names another one); run `pulumi up` to create it again",
    };
  }
  if (status === 401 || status === 403) {
    return {
      kind: "tinybird_rejected_token",
      tinybirdStatus: status,
      detail:
        `Tinybird answered ${status} to ${token}: give it ` +
        `DATASOURCES:APPEND on ${where} (the data source's clerk_append token), or check TINYBIRD_HOST is its workspace's region`,
    };
  }
  // The Events API answers 404 when the token's workspace is not on this host (another region) or
  // no longer exists; a missing data source is the 403 above.
  if (status === 404) {
    return {
      kind: "tinybird_workspace_not_found",
      tinybirdStatus: status,
      detail:
        `Tinybird answered 404 for ${where}: the token's workspace is in another region or was deleted; ` +
        "set tinybirdHost to its region's host (Tinybird → Settings) and run `pulumi up`",
    };
  }
  if (status === 422) {
    return {
      kind: "tinybird_partial_write",
      tinybirdStatus: status,
      detail: `Tinybird answered 422 for ${where}: a materialized view failed part-way; see tinybird.datasources_ops_log`,
    };
  }
  if (status === 429 || status >= 500) {
    return {
      kind: status === 429 ? "tinybird_rate_limited" : "tinybird_unavailable",
      tinybirdStatus: status,
      ...(retryAfterMs === undefined ? {} : { retryAfterSeconds: clampSeconds(retryAfterMs) }),
    };
  }
  if (status >= 300 && status < 400) {
    return {
      kind: "tinybird_rejected_request",
      tinybirdStatus: status,
      detail:
        `Tinybird answered ${status} (a redirect, not followed: the token would go with it) for ${where}: ` +
        "set TINYBIRD_HOST to the workspace's https region host, e.g. https://api.tinybird.co",
    };
  }
  if (status === 413) {
    return {
      kind: "tinybird_rejected_request",
      tinybirdStatus: status,
      detail: `Tinybird answered 413 for ${where}: the request was over its 10 MB limit, which the batching should prevent; please report it`,
    };
  }
  // 400 and anything else: Tinybird's reply text may quote the row, so it is never logged.
  return {
    kind: "tinybird_rejected_request",
    tinybirdStatus: status,
    detail:
      `Tinybird answered ${status} for ${where}: check the data source's schema accepts NDJSON events; ` +
      "its error is in tinybird.datasources_ops_log",
  };
}

/** `quarantined_rows` of an Events API answer (`{successful_rows, quarantined_rows}`); 0 if unreadable. */
function quarantinedRowsOf(text: string): number {
  try {
    const value = (JSON.parse(text) as Record<string, unknown>).quarantined_rows;
    return typeof value === "number" ? value : 0;
  } catch {
    return 0;
  }
}

function clampSeconds(ms: number): number {
  return Math.min(RETRY_AFTER_BOUNDS.max, Math.max(RETRY_AFTER_BOUNDS.min, Math.ceil(ms / 1000)));
}
