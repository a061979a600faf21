/**
 * Tinybird's Events API: one NDJSON line per call, `wait=true` so a 200 means the row is written,
 * the token only in the Authorization header (a `?token=` would land in access logs). Connections
 * are kept alive between calls, so a warm container reuses one TCP+TLS connection.
 * Every answer becomes a TinybirdOutcome; nothing here throws.
 */
import type { IncomingHttpHeaders } from "node:http";
import { createKeepAlivePost } from "./http-post";
import type { TinybirdOutcome } from "./outcome";
import { serverDelayMs } from "./retry-after";

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

export function createTinybirdClient(options: TinybirdClientOptions): TinybirdClient {
  const post = createKeepAlivePost();
  const now = options.now ?? Date.now;
  const url = new URL(`${options.host}/v0/events?name=${encodeURIComponent(options.dataSource)}&wait=true`);
  const where = `data source "${options.dataSource}" at ${options.host}`;

  return {
    async append(line, token, timeoutMs) {
      const headers = { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" };
      const result = await post(url, headers, `${line}\n`, timeoutMs);
      if (!result.ok && result.failure === "timeout") return { kind: "tinybird_timeout", timeoutMs };
      if (!result.ok) {
        return { kind: "tinybird_unreachable", detail: `POST ${where} failed: ${result.detail}` };
      }
      return classify(result.status, result.headers, result.text);
    },
  };

  function classify(status: number, headers: IncomingHttpHeaders, text: string): TinybirdOutcome {
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
          `Tinybird answered ${status} to the token in the secret's "tinybirdToken": give it ` +
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
      const ms = serverDelayMs(
        { retryAfter: headers["retry-after"], rateLimitReset: headers["x-ratelimit-reset"] },
        now(),
      );
      return {
        kind: status === 429 ? "tinybird_rate_limited" : "tinybird_unavailable",
        tinybirdStatus: status,
        ...(ms === undefined ? {} : { retryAfterSeconds: clampSeconds(ms) }),
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
    // 400, 413 and anything else: Tinybird's reply text may quote the row, so it is never logged.
    return {
      kind: "tinybird_rejected_request",
      tinybirdStatus: status,
      detail:
        `Tinybird answered ${status} for ${where}: check the data source's schema accepts NDJSON events; ` +
        "its error is in tinybird.datasources_ops_log",
    };
  }
}

/** `quarantined_rows` of an Events API answer (`{successful_rows, quarantined_rows}`); 0 if unreadable. */
export function quarantinedRowsOf(text: string): number {
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
