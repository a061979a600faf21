/**
 * How long a server asked us to wait: `Retry-After` (seconds or an HTTP date), else Tinybird's
 * `X-RateLimit-Reset`, which a 429 may carry alone (the Retry-After header can be dropped on
 * Tinybird's error path; its SDK then waits for X-RateLimit-Reset). Tinybird documents the reset as
 * seconds until the window resets; a value that can only be a Unix time (after 2001) is read as one.
 * Here, not in infra/, because both the forwarder and the provisioning commands need it, and lambda/
 * imports nothing from infra/.
 */

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

// 1,000,000,000 s after the epoch is 2001: no rate-limit window is that long.
const UNIX_TIME_FROM = 1_000_000_000;

/** Parses `X-RateLimit-Reset` (seconds until the window resets, or a Unix time) into milliseconds. */
export function parseRateLimitReset(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!value || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return seconds >= UNIX_TIME_FROM ? Math.max(0, seconds * 1000 - now) : seconds * 1000;
}

export type HeaderValue = string | string[] | null | undefined;

const first = (value: HeaderValue) => (Array.isArray(value) ? value[0] : value);

/** The wait a 429 or 5xx answer asks for: Retry-After first, X-RateLimit-Reset otherwise. */
export function serverDelayMs(
  headers: { retryAfter?: HeaderValue; rateLimitReset?: HeaderValue },
  now: number = Date.now(),
): number | undefined {
  return (
    parseRetryAfter(first(headers.retryAfter), now) ?? parseRateLimitReset(first(headers.rateLimitReset), now)
  );
}
