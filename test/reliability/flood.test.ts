/**
 * A flood of forged requests from outside Svix's published addresses, with Svix's genuine deliveries
 * mixed in. The handler is built by its factory as in Lambda (ALLOWED_SOURCE_IPS from the addresses
 * the stack passes by default) over the real per-container secret cache with a counting reader.
 * Forged traffic is answered 403 before anything else: no secret read, no Tinybird call, and every
 * genuine delivery in the middle of it is stored. Source addresses are drawn by fast-check from the
 * seed (RELIABILITY_SEED=<n> runs another sample).
 *
 * What this cannot show: API Gateway's stage throttle sits in front of the Lambda and is shared by
 * everyone, so a flood above it is refused there (429), Svix's deliveries included; see
 * docs/security.md for that limit and the alarm that reports it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { svixSourceIps } from "../../lambda/svix-source-ips";
import { clerkFixture, signedEvent } from "../support/forwarder-stubs";
import { inMemoryForwarder } from "./in-memory-forwarder";
import { seedFromEnv } from "./seeded";
import { newSigningSecret } from "./svix-signing";

const SEED = seedFromEnv();
const FORGED = 3_000;
const FORGER_SECRET = newSigningSecret();
const GENUINE = 40;
const SVIX_ADDRESSES = svixSourceIps(["us", "eu", "au", "ca", "in"]);
// Svix's IPv4 addresses, and addresses inside its IPv6 blocks.
const SVIX_SENDERS = [
  ...SVIX_ADDRESSES.filter((ip) => !ip.includes(":")),
  "2600:1f24:64:8000::17",
  "2a05:d028:17:80ff:ffff::1",
];

function setUp() {
  return inMemoryForwarder({ env: { ALLOWED_SOURCE_IPS: SVIX_ADDRESSES.join(",") } });
}

/** Addresses anywhere but Svix's: any IPv4 not in its list, any IPv6 outside its /56 blocks. */
const outsider = fc
  .oneof(fc.ipV4(), fc.ipV6())
  .filter(
    (ip) =>
      !SVIX_ADDRESSES.includes(ip) &&
      !/^(2600:1f24:64:80|2a05:d028:17:80|2406:da2c:13:40|2600:1f21:1c:40)/i.test(ip),
  );

function forgedFrom(sourceIp: string, i: number) {
  // Signed, but with a secret that is not the endpoint's: what a forger can produce.
  const event = signedEvent(clerkFixture("user.created"), {
    id: `msg_forged${i}`,
    secret: FORGER_SECRET,
  });
  event.requestContext.http.sourceIp = sourceIp;
  return event;
}

function genuineFrom(sourceIp: string, i: number) {
  const event = signedEvent(clerkFixture("session.created"), { id: `msg_genuine${i}` });
  event.requestContext.http.sourceIp = sourceIp;
  return event;
}

describe("a flood of forged requests from outside Svix's addresses", () => {
  it("costs no secret read and no Tinybird call: every one is answered 403 before anything else", async () => {
    const { handler, appended, logs, secretReads } = setUp();
    const sources = fc.sample(outsider, { seed: SEED, numRuns: FORGED });
    const results = await Promise.all(sources.map((ip, i) => handler(forgedFrom(ip, i))));
    expect(results.every((r) => r.statusCode === 403)).toBe(true);
    expect(JSON.parse(results[0]!.body!)).toMatchObject({ code: "source_not_allowed" });
    expect(secretReads()).toBe(0);
    expect(appended).toHaveLength(0);
    expect(new Set(logs.map((l) => l.outcome))).toEqual(new Set(["source_not_allowed"]));
    // The log line does not keep the sender's address (personal data for a real one).
    expect(JSON.stringify(logs)).not.toContain(sources[0]!);
  });

  it("cannot starve Svix's deliveries inside it: each is stored, with one secret read for the container", async () => {
    const { handler, appended, secretReads } = setUp();
    const sources = fc.sample(outsider, { seed: SEED + 1, numRuns: FORGED });
    const requests = sources.map((ip, i) => ({ genuine: false, event: forgedFrom(ip, i) }));
    // Svix's deliveries spread through the flood, from each of its addresses in turn.
    for (let i = 0; i < GENUINE; i++) {
      const at = Math.floor(((i + 0.5) * requests.length) / GENUINE);
      requests.splice(at, 0, {
        genuine: true,
        event: genuineFrom(SVIX_SENDERS[i % SVIX_SENDERS.length]!, i),
      });
    }
    const results = await Promise.all(requests.map(({ event }) => handler(event)));
    const statuses = (genuine: boolean) =>
      new Set(results.filter((_, i) => requests[i]!.genuine === genuine).map((r) => r.statusCode));
    expect(statuses(true)).toEqual(new Set([200]));
    expect(statuses(false)).toEqual(new Set([403]));
    expect(appended.map((line) => JSON.parse(line).event_id).sort()).toEqual(
      Array.from({ length: GENUINE }, (_, i) => `msg_genuine${i}`).sort(),
    );
    expect(secretReads()).toBe(1);
  });

  it("still checks the signature of a request from Svix's addresses: a forgery from there is 401", async () => {
    const { handler, appended } = setUp();
    const result = await handler(forgedFrom(SVIX_SENDERS[0]!, 0));
    expect(result.statusCode).toBe(401);
    expect(appended).toHaveLength(0);
  });
});
