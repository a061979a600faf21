/**
 * The backfill reads Tinybird's answers with the forwarder's own classifier: it retries what the
 * forwarder has Svix retry (and a 202, which the forwarder keeps), and stops at once, with the
 * forwarder's fix, on what no retry can cure.
 */
import { describe, expect, it } from "vitest";
import { CommandError } from "../../command-kit/command-shell";
import { createAppender } from "../../operations/backfill/tinybird-append";
import { VirtualClock } from "../support/clerk-directory";

/** An appender whose every request Tinybird answers with `status` and `body`; counts the requests. */
async function appendAgainst(status: number, body: string, headers: Record<string, string> = {}) {
  let requests = 0;
  const append = createAppender({
    host: "https://api.tinybird.co",
    dataSource: "clerk_events",
    token: "p.append-token-for-tests",
    clock: new VirtualClock(),
    attempts: 3,
    fetch: async () => {
      requests += 1;
      return new Response(body, { status, headers });
    },
  });
  const failure = await append(['{"event_id":"a"}']).then(
    () => undefined,
    (error: unknown) => error as CommandError,
  );
  return { requests, failure };
}

describe("the backfill's reading of Tinybird's answers", () => {
  it.each([
    [429, "rate limited"],
    [503, "unavailable"],
    [422, "a materialized view failed part-way"],
    [202, "queued"],
  ])("tries again after %i (%s), up to its attempts", async (status) => {
    const { requests, failure } = await appendAgainst(status, "{}");
    expect(requests).toBe(3);
    expect(failure).toBeInstanceOf(CommandError);
    expect(failure!.transient).toBe(true);
    expect(failure!.message).toMatch(
      new RegExp(`^Tinybird answered ${status} for data source "clerk_events"`),
    );
  });

  it.each([
    [401, "{}", /to TINYBIRD_TOKEN: give it DATASOURCES:APPEND on data source "clerk_events"/],
    [403, "Invalid token for DS autocreation", /does not exist .*TINYBIRD_DATASOURCE.*pulumi up/],
    [404, "Not found", /another region or was deleted/],
    [413, "too large", /over its 10 MB limit/],
    [400, "bad", /schema accepts NDJSON events/],
  ])("stops at once on %i, naming the forwarder's fix", async (status, body, fix) => {
    const { requests, failure } = await appendAgainst(status, body);
    expect(requests).toBe(1);
    expect(failure!.transient).toBe(false);
    expect(failure!.message).toMatch(fix);
  });

  it("stops on rows Tinybird quarantined, naming the quarantine table", async () => {
    const { requests, failure } = await appendAgainst(200, '{"successful_rows":0,"quarantined_rows":1}');
    expect(requests).toBe(1);
    expect(failure!.message).toMatch(/quarantined 1 of 1 rows in clerk_events_quarantine/);
  });
});
