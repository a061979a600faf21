/**
 * Where the stack relies on how the forwarder behaves: the alarms' log filters must match the line it
 * writes, and the function's timeout must leave room for its time budget.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOG_FILTERS } from "../../infra/components/forwarder-alarms";
import { FORWARDER_TIMEOUT_SECONDS } from "../../infra/components/webhook-forwarder";
import { createHandler, DEFAULT_BUDGET_MS } from "../../lambda/forwarder";
import { createJsonLogger } from "../../lambda/logger";
import { createTinybirdClient } from "../../lambda/tinybird";
import {
  clerkFixture,
  forwarderConfig,
  SIGNING_SECRET,
  signedEvent,
  TINYBIRD_TOKEN,
} from "../support/forwarder-stubs";
import { type StubServer, startStub } from "../support/http-stub";

/**
 * CloudWatch's JSON filter syntax, as far as LOG_FILTERS use it: `$.key = value` / `$.key != value`
 * joined by `&&`, with string or number values. Throws on anything else, so a new filter cannot
 * slip past this model unnoticed.
 */
function matches(pattern: string, event: Record<string, unknown>): boolean {
  const body = /^\{\s*(.+?)\s*\}$/.exec(pattern)?.[1];
  if (!body) throw new Error(`not a JSON filter: ${pattern}`);
  return body.split("&&").every((part) => {
    const m = /^\(?\s*\$\.(\w+)\s*(!=|=)\s*(?:"([^"]*)"|(\d+))\s*\)?$/.exec(part.trim());
    if (!m) throw new Error(`unsupported condition: ${part}`);
    const [, key, op, text, number] = m;
    const equal = text !== undefined ? event[key!] === text : event[key!] === Number(number);
    return op === "=" ? equal : !equal;
  });
}

let tinybird: StubServer;
let tinybirdStatus = 200;
let tinybirdBody: unknown = { error: "refused by the stand-in" };
beforeAll(async () => {
  tinybird = await startStub(() =>
    tinybirdStatus === 200
      ? { status: 200, body: { successful_rows: 1, quarantined_rows: 0 } }
      : { status: tinybirdStatus, body: tinybirdBody },
  );
});
afterAll(() => tinybird.close());

/** The one log line the real forwarder writes for a delivery that Tinybird answers with `status`. */
async function logLineWhenTinybirdAnswers(
  status: number,
  body: unknown = { error: "refused by the stand-in" },
): Promise<Record<string, unknown>> {
  tinybirdStatus = status;
  tinybirdBody = body;
  const lines: Record<string, unknown>[] = [];
  const handler = createHandler({
    config: forwarderConfig(tinybird.url),
    secrets: {
      get: async () => ({
        ok: true,
        secret: { tinybirdToken: TINYBIRD_TOKEN, signingSecret: SIGNING_SECRET },
      }),
      refresh: async () => undefined,
    },
    tinybird: createTinybirdClient({ host: tinybird.url, dataSource: "clerk_events" }),
    logger: createJsonLogger({ service: "contract", write: (line) => lines.push(JSON.parse(line)) }),
  });
  await handler(signedEvent(clerkFixture("user.created")));
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe("the alarms' view of the forwarder's log", () => {
  it("counts a token Tinybird rejects under the token alarm only", async () => {
    for (const status of [401, 403]) {
      const line = await logLineWhenTinybirdAnswers(status);
      expect(line).toMatchObject({ outcome: "tinybird_rejected_token", status: 500 });
      expect(matches(LOG_FILTERS.rejectedToken, line)).toBe(true);
      expect(matches(LOG_FILTERS.otherUnretryable, line)).toBe(false);
    }
  });

  it.each([
    [404, "Not found", "tinybird_workspace_not_found", "workspaceNotFound"],
    [403, "Invalid token for DS autocreation", "tinybird_data_source_missing", "dataSourceMissing"],
  ] as const)("counts Tinybird's %i %j under its own alarm only", async (status, body, outcome, filter) => {
    const line = await logLineWhenTinybirdAnswers(status, body);
    expect(line).toMatchObject({ outcome, status: 500 });
    for (const [name, pattern] of Object.entries(LOG_FILTERS)) {
      expect(matches(pattern, line), name).toBe(name === filter);
    }
  });

  it("counts any other 500 (here: Tinybird refuses the request) under the unretryable-failures alarm", async () => {
    const line = await logLineWhenTinybirdAnswers(400);
    expect(line).toMatchObject({ outcome: "tinybird_rejected_request", status: 500 });
    for (const [name, pattern] of Object.entries(LOG_FILTERS)) {
      expect(matches(pattern, line), name).toBe(name === "otherUnretryable");
    }
  });

  it("counts neither a stored event nor a Tinybird outage, which Svix's retries cure", async () => {
    for (const status of [200, 503]) {
      const line = await logLineWhenTinybirdAnswers(status);
      expect(matches(LOG_FILTERS.rejectedToken, line)).toBe(false);
      expect(matches(LOG_FILTERS.otherUnretryable, line)).toBe(false);
    }
  });
});

describe("the function's timeout", () => {
  it("outlasts the forwarder's own time budget and stays inside Svix's 15 s", () => {
    expect(FORWARDER_TIMEOUT_SECONDS * 1000).toBeGreaterThan(DEFAULT_BUDGET_MS);
    expect(FORWARDER_TIMEOUT_SECONDS).toBeLessThan(15);
  });
});
