import { expect, it } from "vitest";
import { terminalLine } from "../../local/terminal-log";

it("makes the forwarder's JSON line one short line, keeping what a failure says", () => {
  expect(
    terminalLine(
      '{"level":"info","timestamp":"2026-12-06T11:20:18.999Z","service":"clerk-tinybird-local","message":"webhook handled","request_id":"8f60","cold_start":false,"event_id":"msg_61ed","event_type":"session.created","outcome":"forwarded","status":200,"latency_ms":13,"secret_refreshed":false,"tinybird_status":200}',
    ),
  ).toBe("11:20:18  200  forwarded  session.created  msg_61ed  13 ms");
  expect(
    terminalLine(
      '{"level":"warn","timestamp":"2026-12-06T11:21:00.000Z","service":"s","message":"webhook handled","request_id":"r","cold_start":false,"outcome":"invalid_signature","status":401,"latency_ms":1,"reason":"no signature matches","headers":["svix-id"]}',
    ),
  ).toBe('11:21:00  WARN  401  invalid_signature  1 ms  reason=no signature matches  headers=["svix-id"]');
  // Anything else passes as it is.
  expect(terminalLine("not json")).toBe("not json");
  expect(terminalLine("[1,2]")).toBe("[1,2]");
});
