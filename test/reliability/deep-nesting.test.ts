/**
 * Pins a bug found by the reliability work (issue 7's report): a GENUINE event whose payload nests
 * deeper than the redaction walk's recursion allows (about 2,200 arrays, a 4.4 KB body; a user can
 * put such a value in their own `unsafe_metadata`, which Clerk accepts from the browser up to 8 KB)
 * throws RangeError inside redact(). The handler answers 500 `internal_error` on every attempt, the
 * event is never stored, and it is lost once Svix's 27 hours of retries run out.
 * `it.fails` keeps the suite green while the bug stands; once it is fixed that test fails: make it `it`.
 */
import { describe, expect, it } from "vitest";
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
  it("still gets an answer (no throw escapes), today a 500 that Svix retries", async () => {
    const { handler, logs, event } = setUp();
    const body = JSON.stringify(event);
    expect(Buffer.byteLength(body)).toBeLessThan(8 * 1024 + 2_000);
    const result = await handler(signedEvent(body, { id: "msg_deepNesting" }));
    expect([200, 500]).toContain(result.statusCode);
    expect(logs).toHaveLength(1);
  });

  it.fails("is stored (200, one line under its event_id), not answered 500 on every retry until Svix gives up", async () => {
    const { handler, appended, logs, event } = setUp();
    const result = await handler(signedEvent(event, { id: "msg_deepNesting" }));
    expect(logs[0]).toMatchObject({ outcome: "forwarded" });
    expect(result.statusCode).toBe(200);
    expect(appended).toHaveLength(1);
    expect(JSON.parse(appended[0]!)).toMatchObject({ event_id: "msg_deepNesting", type: "user.updated" });
  });
});
