/**
 * Retry-After (RFC 9110 §10.2.3): seconds or an HTTP date. The forwarder reads it from Tinybird's
 * 429s; the provisioning commands (infra/) from Tinybird's, Clerk's and Svix's, importing it from
 * here so that lambda/ imports nothing from infra/.
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
