/**
 * The leak watch itself: it must find what it is for (a token, a signing secret or its bare key, a
 * signature even inside a longer string, an input's e-mail or IP address), and only that.
 */
import { describe, expect, it } from "vitest";
import { LeakWatch } from "./leaks";
import { signatureOf } from "./svix-signing";

const TOKEN = "p.eyJ1IjogIndhdGNoIn0.leak-watch-token";
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SIGNATURE = signatureOf(SECRET, "msg_watch", 1_700_000_000, '{"a":1}');

function watched(): LeakWatch {
  const watch = new LeakWatch();
  watch.secret(TOKEN, SECRET);
  watch.signatureHeader(`v1,${SIGNATURE} v1,${signatureOf(SECRET, "msg_other", 1, "{}")}`);
  watch.input('{"email_address":"Jane.Doe@Example.com","client_ip":"203.0.113.9","ip6":"2001:db8::7"}');
  return watch;
}

describe("the leak watch", () => {
  it.each([
    ["a token", `{"detail":"token ${TOKEN} refused"}`, "secret"],
    ["a signing secret's bare key", '{"detail":"key MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}', "secret"],
    ["any whsec_ value, even one not given", '{"detail":"whsec_c29tZXRoaW5nZWxzZQ=="}', "secret"],
    ["a bearer header", '{"detail":"sent Authorization: Bearer abcdefgh12345"}', "secret"],
    ["a signature", `{"sig":"v1,${SIGNATURE}"}`, "signature"],
    ["a signature inside a longer base64 run", `{"x":"AAAA${SIGNATURE}BBBB"}`, "signature"],
    ["an input's e-mail address, in another case", '{"to":"jane.doe@example.com"}', "email"],
    ["an input's IPv4 address", '{"ip":"203.0.113.9"}', "ip"],
    ["an input's IPv6 address", '{"ip":"2001:db8::7"}', "ip"],
  ])("finds %s", (_, output, kind) => {
    const watch = watched();
    watch.output("log", output);
    const leaks = watch.find();
    expect(leaks.map((l) => l.kind)).toContain(kind);
    expect(leaks[0]!.where).toBe("log #0");
    // The report shows the start of the value only.
    for (const leak of leaks) expect(leak.sample.length).toBeLessThan(24);
  });

  it("lets through what is not an input's: other addresses, clock times, ids, the forwarder's own words", () => {
    const watch = watched();
    watch.input("junk with bare colons :: and a clock 10:20:30");
    watch.output(
      "log",
      JSON.stringify({
        level: "error",
        timestamp: "2026-11-24T09:00:00.000Z",
        event_id: "msg_2qGxExactRequest",
        request_id: "0b7d6c1e-5a43-4c1b-9a2e-0d1f2e3c4b5a",
        detail: 'POST data source "clerk_events" at http://127.0.0.1:40123 failed: ECONNRESET',
        other: "someone@else.example 198.51.100.1",
        method: "::",
        at: "10:20:30",
      }),
    );
    watch.output("answer body", '{"code":"signature_mismatch","message":"The signature does not match"}');
    expect(watch.find()).toEqual([]);
  });

  it("refuses a secret too short to search for", () => {
    expect(() => new LeakWatch().secret("abc")).toThrow(/shorter than 8/);
  });
});
