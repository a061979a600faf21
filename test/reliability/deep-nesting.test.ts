/**
 * A GENUINE event whose payload nests thousands of levels deep (a 4.4 KB body; a user can put such a
 * value in their own `unsafe_metadata`, which Clerk accepts from the browser up to 8 KB) once overflowed
 * the redaction walk's stack: 500 on every attempt, never stored, lost once Svix's retries ran out. The
 * walk now stops at MAX_DEPTH and keeps the event, with the too-deep subtree replaced by a marker.
 */
import { describe, expect, it } from "vitest";
import { MAX_DEPTH, TOO_DEEP } from "../../lambda/redaction";
import { clerkFixture, signedEvent } from "../support/forwarder-stubs";
import { inMemoryForwarder } from "./in-memory-forwarder";

const DEPTH = 3_000;

function setUp() {
  const { handler, appended, logs } = inMemoryForwarder();
  const user = clerkFixture("user.updated");
  const nested = JSON.parse(`${"[".repeat(DEPTH)}${"]".repeat(DEPTH)}`) as unknown;
  const event = { ...user, data: { ...(user.data as object), unsafe_metadata: { deep: nested } } };
  return { handler, appended, logs, event };
}

describe("an authentic event nested deeper than the redaction walk can recurse", () => {
  it("gets an answer within the body limit and no throw escapes", async () => {
    const { handler, logs, event } = setUp();
    const body = JSON.stringify(event);
    expect(Buffer.byteLength(body)).toBeLessThan(8 * 1024 + 2_000);
    const result = await handler(signedEvent(body, { id: "msg_deepNesting" }));
    expect(result.statusCode).toBe(200);
    expect(logs).toHaveLength(1);
  });

  it("is stored (200, one line under its event_id), the subtree past MAX_DEPTH replaced by a marker", async () => {
    const { handler, appended, logs, event } = setUp();
    const result = await handler(signedEvent(event, { id: "msg_deepNesting" }));
    expect(logs[0]).toMatchObject({ outcome: "forwarded" });
    expect(result.statusCode).toBe(200);
    expect(appended).toHaveLength(1);
    const stored = JSON.parse(appended[0]!);
    expect(stored).toMatchObject({ event_id: "msg_deepNesting", type: "user.updated" });
    // event → data → unsafe_metadata → deep are 3 levels; the arrays below them fill the rest.
    let node: unknown = stored.data.unsafe_metadata.deep;
    for (let level = 3; level < MAX_DEPTH; level++) {
      expect(Array.isArray(node)).toBe(true);
      node = (node as unknown[])[0];
    }
    expect(node).toBe(TOO_DEEP);
  });
});
