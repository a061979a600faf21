/**
 * npm start's delivery log on a terminal: the forwarder's JSON line (as the Lambda writes it to
 * CloudWatch) made one short line a person reads, `11:20:18  200 forwarded  session.created
 * msg_61ed…  13 ms`, with whatever else the line says that is worth knowing (a failure's fields).
 * Piped, or with LOG_FORMAT=json, npm start prints the JSON unchanged.
 */

/** Fields every line has, or that the short form already shows. */
const SHOWN = new Set([
  "level",
  "timestamp",
  "service",
  "message",
  "request_id",
  "cold_start",
  "secret_refreshed",
  "event_id",
  "event_type",
  "outcome",
  "status",
  "latency_ms",
  "tinybird_status",
]);

export function terminalLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return line;
  const text = (key: string) => (entry[key] === undefined ? undefined : String(entry[key]));
  const time = text("timestamp")?.slice(11, 19);
  const level = text("level");
  const extra = Object.entries(entry)
    .filter(([key, value]) => !SHOWN.has(key) && value !== undefined && value !== null)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  const parts = [
    time,
    level && level !== "info" ? level.toUpperCase() : undefined,
    text("status"),
    text("outcome") ?? text("message"),
    text("event_type"),
    text("event_id"),
    entry.latency_ms === undefined ? undefined : `${text("latency_ms")} ms`,
    ...extra,
  ];
  return parts.filter((p) => p !== undefined && p !== "").join("  ");
}
