/**
 * The event ids Tinybird holds for a window of event time, read through the `delivered_events`
 * endpoint with the stack's read token (in the Authorization header, never the URL), page by page
 * with its keyset (`after_event_id`). 429, 5xx and network faults are retried after Retry-After, else
 * X-RateLimit-Reset, else backoff; anything else fails with the fix.
 */
import { CommandError, fetchAnswer, withRetry } from "../../command-kit/command-shell";
import { serverDelayMs } from "../../lambda/retry-after";
import type { Clock } from "../clock";

export const PIPE = "delivered_events";
/** The endpoint's largest page. */
export const TINYBIRD_PAGE_SIZE = 100_000;
const REQUEST_TIMEOUT_MS = 120_000;

export interface StoredEventsOptions {
  host: string;
  token: string;
  clock: Clock;
  attempts?: number;
  pageSize?: number;
  fetch?: typeof fetch;
}

/** The distinct event ids whose event time is in [since, until). */
export type ReadStored = (since: Date, until: Date) => Promise<Set<string>>;

/** `2026-01-18 00:00:00`: the endpoint's DateTime parameters are whole seconds, UTC. */
export function dateTimeParam(date: Date, round: "down" | "up"): string {
  const seconds = (round === "down" ? Math.floor : Math.ceil)(date.getTime() / 1000);
  return new Date(seconds * 1000).toISOString().slice(0, 19).replace("T", " ");
}

export function createStoredEvents(options: StoredEventsOptions): ReadStored {
  const doFetch = options.fetch ?? fetch;
  const pageSize = Math.min(TINYBIRD_PAGE_SIZE, options.pageSize ?? TINYBIRD_PAGE_SIZE);

  async function page(params: URLSearchParams): Promise<string[]> {
    const url = `${options.host}/v0/pipes/${PIPE}.json?${params}`;
    const response = await fetchAnswer(
      doFetch,
      url,
      {
        headers: { authorization: `Bearer ${options.token}` },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      },
      `Tinybird at ${options.host}`,
    );
    const text = await response.text().catch(() => "");
    if (response.ok) {
      const rows = (JSON.parse(text) as { data?: { event_id?: unknown }[] }).data;
      if (!Array.isArray(rows)) throw new CommandError(`Tinybird's ${PIPE} answer had no data rows`);
      return rows.map((row) => String(row.event_id));
    }
    const status = response.status;
    if (status === 429 || status >= 500) {
      const retryAfterMs = serverDelayMs(
        {
          retryAfter: response.headers.get("retry-after"),
          rateLimitReset: response.headers.get("x-ratelimit-reset"),
        },
        options.clock.now(),
      );
      throw new CommandError(`Tinybird answered ${status} to ${PIPE}`, {
        transient: true,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    throw new CommandError(
      `Tinybird answered ${status} to ${PIPE}: ${permanentFix(status, text, options.host)}`,
    );
  }

  return async (since, until) => {
    const ids = new Set<string>();
    let after: string | undefined;
    for (;;) {
      const params = new URLSearchParams({
        start_time: dateTimeParam(since, "down"),
        end_time: dateTimeParam(until, "up"),
        limit: String(pageSize),
      });
      if (after !== undefined) params.set("after_event_id", after);
      const rows = await withRetry(() => page(params), {
        attempts: options.attempts ?? 8,
        baseDelayMs: 1_000,
        maxDelayMs: 60_000,
        sleep: options.clock.sleep,
      });
      for (const id of rows) ids.add(id);
      if (rows.length < pageSize) return ids;
      after = rows.at(-1);
    }
  };
}

function permanentFix(status: number, body: string, host: string): string {
  if (status === 401 || status === 403) {
    return (
      `give TINYBIRD_TOKEN READ on the ${PIPE} endpoint: the stack's clerk_read token (\`pulumi stack output ` +
      "tinybirdReadToken --show-secrets`, or --stack) reads it; the append token does not"
    );
  }
  if (status === 404) {
    return (
      `the workspace at ${host} has no ${PIPE} endpoint: run \`pulumi up\` to deploy this version's endpoints, ` +
      "and check TINYBIRD_HOST is the workspace's region host"
    );
  }
  if (status >= 300 && status < 400) {
    return "a redirect, not followed (the token would go with it): set TINYBIRD_HOST to the workspace's https region host";
  }
  let error = "";
  try {
    error = String((JSON.parse(body) as { error?: unknown }).error ?? "");
  } catch {
    // Not JSON: no detail to add.
  }
  return `${error ? `"${error.slice(0, 300)}": ` : ""}the deployed ${PIPE} may be older than this command: run \`pulumi up\``;
}
