import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { generateHistory, HISTORY_NOW, type StoredEvent } from "../../local/synthetic-history";

const FIXTURES = resolve(__dirname, "../fixtures/clerk-events");
const history = generateHistory();
/** The lines as stored events again: the forwarder's ISO-8601 times back to epoch milliseconds. */
const delivered = history.lines.map((line) => {
  const {
    event_time: _eventTime,
    received_at,
    ...event
  } = JSON.parse(line) as StoredEvent & {
    event_time: string;
    received_at: string;
  };
  return { ...event, received_at: Date.parse(received_at) } as StoredEvent;
});

describe("the generated event history", () => {
  it("is the same on every run for a seed, and another seed gives another history", () => {
    expect(generateHistory().lines).toEqual(history.lines);
    expect(generateHistory({ seed: 7, users: 50 }).lines).not.toEqual(
      generateHistory({ seed: 8, users: 50 }).lines,
    );
  });

  it("has a few thousand-user scale: sign-ups, sessions, deletions, organizations and messages", () => {
    const count = (type: string) => history.events.filter((e) => e.type === type).length;
    expect(count("user.created")).toBeGreaterThanOrEqual(1000);
    expect(count("session.created")).toBeGreaterThan(5 * count("user.created"));
    for (const type of [
      "user.deleted",
      "organization.created",
      "organization.deleted",
      "organizationMembership.deleted",
      "session.revoked",
      "session.removed",
      "session.pending",
      "email.created",
      "sms.created",
      "user.updated",
      "subscription.created",
      "subscriptionItem.active",
      "subscriptionItem.canceled",
      "subscriptionItem.ended",
      "subscriptionItem.pastDue",
      "subscriptionItem.freeTrialEnding",
      "paymentAttempt.updated",
    ]) {
      expect(count(type), type).toBeGreaterThan(5);
    }
  });

  it("sends lines as the forwarder does: the event's keys, event_id, event_time and received_at, times in milliseconds", () => {
    for (const line of history.lines) {
      const { timestamp, event_time, received_at } = JSON.parse(line);
      expect(event_time).toBe(new Date(timestamp).toISOString());
      expect(received_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    for (const event of delivered) {
      expect(Object.keys(event).sort()).toEqual([
        "data",
        "event_attributes",
        "event_id",
        "instance_id",
        "object",
        "received_at",
        "timestamp",
        "type",
      ]);
      expect(event.timestamp).toBeGreaterThan(1e12);
      expect(event.timestamp).toBeLessThanOrEqual(HISTORY_NOW.getTime());
      expect(event.received_at).toBeGreaterThan(event.timestamp);
    }
  });

  it("re-delivers some events under the same event_id, later, with the same payload", () => {
    const first = new Map<string, StoredEvent>();
    let retries = 0;
    for (const event of delivered) {
      const seen = first.get(event.event_id);
      if (!seen) {
        first.set(event.event_id, event);
        continue;
      }
      retries++;
      expect(event.received_at).toBeGreaterThan(seen.received_at);
      expect({ ...event, received_at: 0 }).toEqual({ ...seen, received_at: 0 });
    }
    expect(retries).toBeGreaterThan(history.events.length * 0.03);
    const asText = (events: StoredEvent[]) => events.map((e) => JSON.stringify(e)).sort();
    expect(asText([...first.values()])).toEqual(asText(history.events));
  });

  it.each([
    "user.created",
    "user.updated",
    "session.created",
    "session.ended",
    "email.created",
    "sms.created",
    "organization.created",
    "organizationMembership.created",
    "subscription.created",
    "subscriptionItem.active",
    "paymentAttempt.updated",
  ])("shapes %s like Clerk's payload (every key of the fixture's data)", (type) => {
    const fixture = JSON.parse(readFileSync(join(FIXTURES, `${type}.json`), "utf8"));
    const generated = history.events.find((e) => e.type === type)!;
    expect(Object.keys(generated.data)).toEqual(expect.arrayContaining(Object.keys(fixture.data)));
  });
});
