/**
 * The row the forwarder appends to Tinybird for one delivery: the (redacted) Clerk event as Clerk
 * sent it, plus the fields the forwarder owns, read by `tinybird/datasources/clerk_events.datasource`:
 *
 * - `event_id`: the Svix message id (a re-delivery repeats it);
 * - `event_time`: Clerk's `timestamp` (epoch milliseconds) as an ISO-8601 UTC string with
 *   milliseconds; when Clerk's is unusable (missing, not a number, out of range), the time the
 *   forwarder received the event: the row is kept (Tinybird would store it at the data source's
 *   DEFAULT, 1970-01-01, which would move a sign-up to 1970) at the nearest time known;
 * - `received_at`: when the forwarder received the delivery, in the same form.
 *
 * Times travel as strings because ClickHouse and Tinybird read `2026-12-06T03:10:00.123Z` into a
 * `DateTime64(3)` the same way, while no Tinybird document says what its Events API does with an
 * epoch number. Clerk's own `timestamp` stays in the record untouched. The backfill and the
 * synthetic history build their rows here too, so every writer sends the same shape.
 */

/** The names of the fields the forwarder adds to each Clerk event (the datafile's jsonpaths). */
export const ROW_FIELDS = {
  eventId: "event_id",
  eventTime: "event_time",
  receivedAt: "received_at",
} as const;

// Date's range: ±8.64e15 ms.
const MAX_EPOCH_MS = 8.64e15;

/** An epoch-milliseconds number as `YYYY-MM-DDTHH:mm:ss.sssZ`, or undefined when it is not one. */
export function isoMillis(epochMs: unknown): string | undefined {
  if (typeof epochMs !== "number" || !Number.isFinite(epochMs) || Math.abs(epochMs) > MAX_EPOCH_MS) {
    return undefined;
  }
  return new Date(Math.round(epochMs)).toISOString();
}

/** The row for one delivery of `event` (already redacted), received at `receivedAtMs`. */
export function eventRow(
  event: Record<string, unknown>,
  eventId: string,
  receivedAtMs: number,
): Record<string, unknown> {
  const receivedAt = isoMillis(receivedAtMs);
  return {
    ...event,
    [ROW_FIELDS.eventId]: eventId,
    [ROW_FIELDS.eventTime]: isoMillis(event.timestamp) ?? receivedAt,
    [ROW_FIELDS.receivedAt]: receivedAt,
  };
}
