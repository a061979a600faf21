/**
 * The forwarder against a Tinybird Events API and a Secrets Manager played by local servers,
 * reached through the real clients: what Tinybird receives, what Clerk is answered in every failure
 * mode, how often the secret is read, and what the log lines may contain.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eventRow } from "../../lambda/event-row";
import { createRedactor } from "../../lambda/redaction";
import {
  apiGatewayEvent,
  clerkFixture,
  PSEUDONYMIZATION_KEY,
  ROTATED_SIGNING_SECRET,
  ROTATED_TINYBIRD_TOKEN,
  SECRET_ID,
  type SecretValue,
  SIGNING_SECRET,
  secretAnswer,
  secretsManagerHandler,
  signedEvent,
  TINYBIRD_TOKEN,
  tinybirdStored,
} from "../support/forwarder-stubs";
import { startStub } from "../support/http-stub";
import { bodyOf, type Harness, START, startHarness } from "./harness";

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ tinybirdTimeoutMs: 300 });
});
afterAll(() => h.close());
beforeEach(() => {
  h.handler = h.newContainer();
  h.secretAnswer = secretAnswer();
  h.clock.now = START;
  h.tinybird.handle(() => tinybirdStored());
});
afterEach(() => {
  h.tinybird.requests.length = 0;
  h.secretsManager.requests.length = 0;
  h.logs.length = 0;
  h.logText.length = 0;
});

describe("what Tinybird receives", () => {
  it("one NDJSON line: the redacted event, its svix-id as event_id and the receipt time, token in the header", async () => {
    const event = clerkFixture("user.created");
    const result = await h.handler(signedEvent(event, { id: "msg_2qGxExactRequest" }));

    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({ code: "forwarded", message: "Tinybird stored the event" });
    expect(h.tinybird.requests).toHaveLength(1);
    const sent = h.tinybird.requests[0]!;
    expect(sent.method).toBe("POST");
    expect(sent.path).toBe("/v0/events");
    expect([...sent.query.entries()]).toEqual([
      ["name", "clerk_events"],
      ["wait", "true"],
    ]);
    expect(sent.headers.authorization).toBe(`Bearer ${TINYBIRD_TOKEN}`);
    expect(sent.headers["content-type"]).toBe("application/x-ndjson");
    expect(sent.text.endsWith("\n")).toBe(true);
    expect(sent.text.trimEnd().split("\n")).toHaveLength(1);
    expect(JSON.parse(sent.text)).toEqual({
      ...createRedactor({ extraPaths: [] })(event),
      event_id: "msg_2qGxExactRequest",
      event_time: new Date(event.timestamp as number).toISOString(),
      received_at: new Date(START).toISOString(),
    });
  });

  it("keeps the payload's own keys and values, and adds Clerk's millisecond timestamp as an ISO-8601 event_time", async () => {
    const event = { ...clerkFixture("session.created"), timestamp: 1_716_883_200_123 };
    await h.handler(signedEvent(event));
    const line = JSON.parse(h.tinybird.requests[0]!.text);
    expect(line.timestamp).toBe(1_716_883_200_123);
    expect(line.event_time).toBe("2024-05-28T08:00:00.123Z");
    expect(line.type).toBe("session.created");
    expect(line.data.id).toBe("sess_2g7np7Hrk0SN6kj5EDMLDaKNL0S");
  });

  it("applies REDACT_PATHS and pseudonymises with the secret's key when asked", async () => {
    const p = await startHarness({
      env: { REDACT_PATHS: "data.last_name, data.image_url", PSEUDONYMIZE_PERSONAL_DATA: "true" },
    });
    try {
      p.secretAnswer = secretAnswer({ pseudonymizationKey: PSEUDONYMIZATION_KEY });
      const event = clerkFixture("user.created");
      expect((await p.handler(signedEvent(event))).statusCode).toBe(200);
      const line = JSON.parse(p.tinybird.requests[0]!.text);
      const expected = createRedactor({
        extraPaths: ["data.last_name", "data.image_url"],
        pseudonymizationKey: PSEUDONYMIZATION_KEY,
      })(event);
      expect(line).toEqual(eventRow(expected, line.event_id, START));
      expect(line.data.last_name).not.toBe("Doe");
    } finally {
      await p.close();
    }
  });

  it("sends the data source named by TINYBIRD_DATASOURCE, URL-encoded", async () => {
    const p = await startHarness({ env: { TINYBIRD_DATASOURCE: "clerk_events_staging" } });
    try {
      await p.handler(signedEvent(clerkFixture("user.created")));
      expect(p.tinybird.requests[0]!.query.get("name")).toBe("clerk_events_staging");
    } finally {
      await p.close();
    }
  });
});

describe("what Clerk is answered when Tinybird answers", () => {
  const event = () => signedEvent(clerkFixture("organization.created"));

  it("200 with a warning when Tinybird quarantined the row", async () => {
    h.tinybird.handle(() => tinybirdStored(1));
    const result = await h.handler(event());
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result).code).toBe("quarantined");
    expect(h.logs[0]).toMatchObject({ level: "warn", outcome: "quarantined", quarantined_rows: 1 });
  });

  it("200 with a warning when Tinybird answers 202 (accepted, not yet confirmed)", async () => {
    h.tinybird.handle(() => ({ status: 202, body: { successful_rows: 1, quarantined_rows: 0 } }));
    const result = await h.handler(event());
    expect(result.statusCode).toBe(200);
    expect(h.logs[0]).toMatchObject({ level: "warn", outcome: "accepted_unconfirmed" });
  });

  it.each([
    [429, { "retry-after": "17" }, "tinybird_rate_limited", "17"],
    [429, {}, "tinybird_rate_limited", "5"],
    // No Retry-After (Tinybird's error path can drop it): X-RateLimit-Reset, as Tinybird's SDK reads it.
    [429, { "x-ratelimit-reset": "12" }, "tinybird_rate_limited", "12"],
    [429, { "retry-after": "3", "x-ratelimit-reset": "12" }, "tinybird_rate_limited", "3"],
    [500, {}, "tinybird_unavailable", "5"],
    [502, {}, "tinybird_unavailable", "5"],
    [503, { "retry-after": "2" }, "tinybird_unavailable", "2"],
    [422, {}, "tinybird_partial_write", "5"],
  ])("503 with Retry-After when Tinybird answers %i %o", async (status, headers, code, retryAfter) => {
    h.tinybird.handle(() => ({ status, headers, body: { error: "stand-in failure" } }));
    const result = await h.handler(event());
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({ "retry-after": retryAfter });
    expect(bodyOf(result).code).toBe(code);
  });

  it("503 with Retry-After in seconds when Tinybird's Retry-After is an HTTP date", async () => {
    h.tinybird.handle(() => ({
      status: 429,
      headers: { "retry-after": new Date(START + 42_000).toUTCString() },
    }));
    const result = await h.handler(event());
    expect(result.headers).toMatchObject({ "retry-after": "42" });
  });

  it.each([
    [401, "tinybird_rejected_token"],
    [403, "tinybird_rejected_token"],
    [404, "tinybird_workspace_not_found"],
    [400, "tinybird_rejected_request"],
    [413, "tinybird_rejected_request"],
  ])("500 (a configuration error, Svix keeps retrying) when Tinybird answers %i", async (status, code) => {
    h.tinybird.handle(() => ({ status, body: { error: "stand-in rejection" } }));
    const result = await h.handler(event());
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result).code).toBe(code);
    expect(h.logs[0]).toMatchObject({ level: "error", outcome: code, tinybird_status: status });
  });

  it('500 naming the missing data source, not the token, on 403 "Invalid token for DS autocreation"', async () => {
    // Tinybird's answer (plain text) when the data source is gone and the token may only append.
    h.tinybird.handle(() => ({ status: 403, body: "Invalid token for DS autocreation" }));
    const result = await h.handler(event());
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result).code).toBe("tinybird_data_source_missing");
    expect(h.logs[0]).toMatchObject({ outcome: "tinybird_data_source_missing", tinybird_status: 403 });
    expect(String(h.logs[0]!.detail)).toContain("pulumi up");
    // Not a token problem: the secret is not re-read and Tinybird is asked once.
    expect(h.tinybird.requests).toHaveLength(1);
  });

  it("404 names another region or a deleted workspace, and tinybirdHost", async () => {
    h.tinybird.handle(() => ({ status: 404, body: "Not found" }));
    await h.handler(event());
    expect(String(h.logs[0]!.detail)).toMatch(/another region or was deleted.*tinybirdHost/);
  });

  it.each([301, 308])(
    "500 naming TINYBIRD_HOST, not the schema, when Tinybird redirects (%i: http:// for an https host)",
    async (status) => {
      h.tinybird.handle(() => ({ status, headers: { location: "https://api.tinybird.co/v0/events" } }));
      const result = await h.handler(event());
      expect(result.statusCode).toBe(500);
      expect(h.tinybird.requests).toHaveLength(1);
      expect(String(h.logs[0]!.detail)).toContain("TINYBIRD_HOST");
      expect(String(h.logs[0]!.detail)).not.toContain("schema");
    },
  );

  it("names the fix in the log, not in the answer, when Tinybird refuses the token", async () => {
    h.tinybird.handle(() => ({ status: 403, body: { error: "Not enough permissions" } }));
    const result = await h.handler(event());
    expect(String(h.logs[0]!.detail)).toContain("DATASOURCES:APPEND");
    expect(result.body).not.toContain("DATASOURCES:APPEND");
  });

  it("503 when Tinybird does not answer within the timeout", async () => {
    h.tinybird.handle(() => new Promise(() => {}));
    const result = await h.handler(event());
    expect(result.statusCode).toBe(503);
    expect(bodyOf(result).code).toBe("tinybird_timeout");
    expect(result.headers).toMatchObject({ "retry-after": "5" });
  });

  it("503 when the connection is reset mid-request", async () => {
    h.tinybird.handle((_req, res) => {
      res.socket?.destroy();
      return undefined;
    });
    const result = await h.handler(event());
    expect(result.statusCode).toBe(503);
    expect(bodyOf(result).code).toBe("tinybird_unreachable");
  });

  it("sends again on a new connection when a kept-alive one turns out closed (a container thawed)", async () => {
    await h.handler(event());
    const pooledPort = h.tinybird.requests[0]!.remotePort;
    h.tinybird.handle((req, res) => {
      if (req.remotePort !== pooledPort) return tinybirdStored();
      res.socket?.destroy();
      return undefined;
    });
    const result = await h.handler(event());
    expect(result.statusCode).toBe(200);
    const [, dropped, resent] = h.tinybird.requests;
    expect(dropped!.remotePort).toBe(pooledPort);
    expect(resent!.remotePort).not.toBe(pooledPort);
    expect(resent!.text).toBe(dropped!.text);
  });

  it("503 when nothing listens at TINYBIRD_HOST", async () => {
    const gone = await startStub(() => ({ status: 200 }));
    await gone.close();
    const p = await startHarness({ env: { TINYBIRD_HOST: gone.url } });
    try {
      const result = await p.handler(event());
      expect(result.statusCode).toBe(503);
      expect(bodyOf(result).code).toBe("tinybird_unreachable");
      expect(String(p.logs[0]!.detail)).toContain("ECONNREFUSED");
    } finally {
      await p.close();
    }
  });
});

/**
 * A request whose signature could not be checked learns nothing of the forwarder's state: the body
 * says only "unavailable" (the status still makes Svix retry); the log line names the real cause.
 */
function expectUnexplained(
  result: Awaited<ReturnType<Harness["handler"]>>,
  logs: Record<string, unknown>[],
  kind: "secrets_unavailable" | "misconfigured",
): void {
  expect(bodyOf(result).code).toBe("unavailable");
  expect(result.body).not.toMatch(/secret|misconfigured|config/i);
  expect(logs.at(-1)).toMatchObject({ outcome: kind });
}

describe("what Clerk is answered when Secrets Manager fails", () => {
  it.each([
    ["InternalServiceError", 500],
    ["ThrottlingException", 400],
  ])("503 with Retry-After on %s, and the next request reads again", async (error, status) => {
    h.secretAnswer = { error, status, message: "stand-in failure" };
    const result = await h.handler(signedEvent(clerkFixture("user.created")));
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({ "retry-after": "5" });
    expectUnexplained(result, h.logs, "secrets_unavailable");
    expect(h.tinybird.requests).toHaveLength(0);

    h.secretAnswer = secretAnswer();
    expect((await h.handler(signedEvent(clerkFixture("user.created")))).statusCode).toBe(200);
  });

  it("503 when Secrets Manager is unreachable", async () => {
    const gone = await startStub(() => ({ status: 200 }));
    await gone.close();
    const result = await h.newContainer(gone.url)(signedEvent(clerkFixture("user.created")));
    expect(result.statusCode).toBe(503);
    expectUnexplained(result, h.logs, "secrets_unavailable");
  });

  it("503 when Secrets Manager does not answer in time", async () => {
    h.secretsManager.handle(() => new Promise(() => {}));
    try {
      const quick = h.newContainer(undefined, { requestTimeoutMs: 150 });
      const result = await quick(signedEvent(clerkFixture("user.created")));
      expect(result.statusCode).toBe(503);
      expectUnexplained(result, h.logs, "secrets_unavailable");
      expect(String(h.logs[0]!.detail)).toContain("TimeoutError");
      expect(h.secretsManager.requests).toHaveLength(2);
    } finally {
      h.secretsManager.handle(secretsManagerHandler(() => h.secretAnswer));
    }
  });

  it.each([
    ["ResourceNotFoundException", "SECRET_ID"],
    ["AccessDeniedException", "secretsmanager:GetSecretValue"],
    ["DecryptionFailure", "kms:Decrypt"],
  ])("500 naming the fix on %s (retrying cannot cure it)", async (error, fix) => {
    h.secretAnswer = { error, message: "stand-in" };
    const result = await h.handler(signedEvent(clerkFixture("user.created")));
    expect(result.statusCode).toBe(500);
    expectUnexplained(result, h.logs, "misconfigured");
    expect(String(h.logs[0]!.detail)).toContain(fix);
  });

  it("503 while the secret has no value yet (first deployment, before the stack stores it)", async () => {
    h.secretAnswer = {
      error: "ResourceNotFoundException",
      message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
    };
    const result = await h.handler(signedEvent(clerkFixture("user.created")));
    expect(result.statusCode).toBe(503);
    expectUnexplained(result, h.logs, "secrets_unavailable");
    expect(result.headers?.["retry-after"]).toMatch(/^\d+$/);
    expect(h.tinybird.requests).toHaveLength(0);
  });

  it.each([
    ["not JSON", "whsec_not-json"],
    ["without tinybirdToken", JSON.stringify({ signingSecret: SIGNING_SECRET })],
    ["without signingSecret", JSON.stringify({ tinybirdToken: TINYBIRD_TOKEN })],
    [
      "with a signing secret svix cannot decode",
      JSON.stringify({ tinybirdToken: "t", signingSecret: "whsec_!!" }),
    ],
  ])("500 naming the expected shape when the secret is %s, without echoing it", async (_, secretString) => {
    h.secretAnswer = { secretString };
    const result = await h.handler(signedEvent(clerkFixture("user.created")));
    expect(result.statusCode).toBe(500);
    expectUnexplained(result, h.logs, "misconfigured");
    expect(h.logText.join("\n")).not.toContain(secretString);
    expect(h.logText.join("\n")).not.toContain(TINYBIRD_TOKEN);
  });

  it.each([
    ["empty", "whsec_"],
    ["9 bytes", "whsec_c2hvcnQta2V5"],
  ])(
    "500, and nothing forwarded, when the signing secret's key is %s: too short to keep forgeries out",
    async (_, weak) => {
      h.secretAnswer = {
        secretString: JSON.stringify({ tinybirdToken: TINYBIRD_TOKEN, signingSecret: weak }),
      };
      const forged = await h.handler(signedEvent(clerkFixture("user.created"), { secret: weak }));
      expect(forged.statusCode).toBe(500);
      expectUnexplained(forged, h.logs, "misconfigured");
      expect(String(h.logs[0]!.detail)).toContain("signingSecret");
      expect(h.tinybird.requests).toHaveLength(0);
    },
  );

  it("500 when pseudonymisation is on and the secret has no pseudonymizationKey", async () => {
    const p = await startHarness({ env: { PSEUDONYMIZE_PERSONAL_DATA: "true" } });
    try {
      const result = await p.handler(signedEvent(clerkFixture("user.created")));
      expect(result.statusCode).toBe(500);
      expect(p.tinybird.requests).toHaveLength(0);
      expect(String(p.logs[0]!.detail)).toContain('"pseudonymizationKey"');
    } finally {
      await p.close();
    }
  });

  it("serves again in the same container once the operator fixed a signing secret it could not use", async () => {
    h.secretAnswer = {
      secretString: JSON.stringify({ tinybirdToken: TINYBIRD_TOKEN, signingSecret: "whsec_!!" }),
    };
    expect((await h.handler(signedEvent(clerkFixture("user.created")))).statusCode).toBe(500);
    h.secretAnswer = secretAnswer();
    // Within the cooldown the secret is not read again: the 500 stands, Svix retries later.
    expect((await h.handler(signedEvent(clerkFixture("user.created")))).statusCode).toBe(500);
    expect(h.secretsManager.requests).toHaveLength(1);

    h.clock.now += 31_000;
    expect((await h.handler(signedEvent(clerkFixture("user.created")))).statusCode).toBe(200);
    expect(h.secretsManager.requests).toHaveLength(2);
    expect(h.logs.at(-1)).toMatchObject({ outcome: "forwarded", secret_refreshed: true });
  });

  it("serves again in the same container once the operator added the pseudonymizationKey", async () => {
    const p = await startHarness({ env: { PSEUDONYMIZE_PERSONAL_DATA: "true" } });
    try {
      expect((await p.handler(signedEvent(clerkFixture("user.created")))).statusCode).toBe(500);
      p.secretAnswer = secretAnswer({ pseudonymizationKey: PSEUDONYMIZATION_KEY });
      p.clock.now += 31_000;
      expect((await p.handler(signedEvent(clerkFixture("user.created")))).statusCode).toBe(200);
      expect(p.secretsManager.requests).toHaveLength(2);
    } finally {
      await p.close();
    }
  });
});

describe("how often the secret is read", () => {
  it("once per container, however many events", async () => {
    for (let i = 0; i < 5; i += 1) {
      expect((await h.handler(signedEvent(clerkFixture("session.created")))).statusCode).toBe(200);
    }
    expect(h.secretsManager.requests).toHaveLength(1);
    const read = h.secretsManager.requests[0]!;
    expect(read.headers["x-amz-target"]).toBe("secretsmanager.GetSecretValue");
    expect(String(read.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAFORWARDERTEST\//);
    expect(JSON.parse(read.text)).toEqual({ SecretId: SECRET_ID });
    expect(h.tinybird.requests).toHaveLength(5);

    await h.newContainer()(signedEvent(clerkFixture("session.created")));
    expect(h.secretsManager.requests).toHaveLength(2);
  });

  it("once for concurrent first requests", async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => h.handler(signedEvent(clerkFixture("session.created")))),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    expect(h.secretsManager.requests).toHaveLength(1);
  });

  it("once more when the signing secret was rotated, then the new one is kept", async () => {
    await h.handler(signedEvent(clerkFixture("user.created")));
    h.secretAnswer = secretAnswer({ signingSecret: ROTATED_SIGNING_SECRET }, "v2");
    h.clock.now += 31_000;

    const rotated = await h.handler(
      signedEvent(clerkFixture("user.created"), { secret: ROTATED_SIGNING_SECRET }),
    );
    expect(rotated.statusCode).toBe(200);
    expect(h.secretsManager.requests).toHaveLength(2);
    expect(h.logs[1]).toMatchObject({ outcome: "forwarded", secret_refreshed: true });

    await h.handler(signedEvent(clerkFixture("user.created"), { secret: ROTATED_SIGNING_SECRET }));
    expect(h.secretsManager.requests).toHaveLength(2);
  });

  it("at most once per cooldown under a flood of forged signatures", async () => {
    await h.handler(signedEvent(clerkFixture("user.created")));
    h.clock.now += 31_000;
    const forged = () =>
      h.handler(signedEvent(clerkFixture("user.created"), { secret: ROTATED_SIGNING_SECRET }));

    const flood = await Promise.all(Array.from({ length: 20 }, forged));
    expect(flood.every((r) => r.statusCode === 401)).toBe(true);
    for (let i = 0; i < 20; i += 1) await forged();
    expect(h.secretsManager.requests).toHaveLength(2);

    h.clock.now += 31_000;
    await forged();
    await forged();
    expect(h.secretsManager.requests).toHaveLength(3);
    expect(h.tinybird.requests).toHaveLength(1);
  });

  it("not again for a stale timestamp, which a new secret could not fix", async () => {
    await h.handler(signedEvent(clerkFixture("user.created")));
    h.clock.now += 31_000;
    const stale = signedEvent(clerkFixture("user.created"), { signedAt: new Date(Date.now() - 600_000) });
    expect((await h.handler(stale)).statusCode).toBe(401);
    expect(h.secretsManager.requests).toHaveLength(1);
  });

  it("once more when Tinybird refuses a token that was rotated, and the event is sent again with the new one", async () => {
    h.tinybird.handle((req) =>
      req.headers.authorization === `Bearer ${ROTATED_TINYBIRD_TOKEN}`
        ? tinybirdStored()
        : { status: 403, body: { error: "invalid token" } },
    );
    h.secretAnswer = secretAnswer();
    await h.handler(signedEvent(clerkFixture("user.created")));
    h.secretAnswer = secretAnswer({ tinybirdToken: ROTATED_TINYBIRD_TOKEN }, "v2");
    h.clock.now += 31_000;

    const result = await h.handler(signedEvent(clerkFixture("user.created"), { id: "msg_retried" }));
    expect(result.statusCode).toBe(200);
    expect(h.secretsManager.requests).toHaveLength(2);
    const last = h.tinybird.requests.slice(-2);
    expect(last.map((r) => r.headers.authorization)).toEqual([
      `Bearer ${TINYBIRD_TOKEN}`,
      `Bearer ${ROTATED_TINYBIRD_TOKEN}`,
    ]);
    expect(last[0]!.text).toBe(last[1]!.text);
  });

  it("not again within the cooldown when Tinybird keeps refusing the same token", async () => {
    h.tinybird.handle(() => ({ status: 403, body: { error: "invalid token" } }));
    for (let i = 0; i < 3; i += 1) {
      expect((await h.handler(signedEvent(clerkFixture("user.created")))).statusCode).toBe(500);
    }
    h.clock.now += 31_000;
    expect((await h.handler(signedEvent(clerkFixture("user.created")))).statusCode).toBe(500);
    expect(h.secretsManager.requests).toHaveLength(2);
    expect(h.tinybird.requests).toHaveLength(4);
  });
});

describe("the 10 s budget", () => {
  let b: Harness;
  beforeAll(async () => {
    b = await startHarness({ refreshCooldownMs: 1_000 });
  });
  afterAll(() => b.close());

  /** Secrets Manager answering after `ms` on the forwarder's clock: `first` the first time, then `later`. */
  const secretsManager = (ms: number, first: SecretValue, later: SecretValue) => {
    b.secretsManager.requests.length = 0;
    b.secretsManager.handle((req, res) => {
      b.clock.now += ms;
      const value = b.secretsManager.requests.length === 1 ? first : later;
      return secretsManagerHandler(() => secretAnswer(value))(req, res);
    });
  };

  it.each([
    [2_000, 200, 2],
    [6_000, 401, 1],
  ])(
    "re-reads a rotated signing secret only if the read cannot outlast it (a read takes %i ms)",
    async (ms, status, reads) => {
      b.clock.now = START;
      secretsManager(ms, {}, { signingSecret: ROTATED_SIGNING_SECRET });
      const result = await b.newContainer()(
        signedEvent(clerkFixture("user.created"), { secret: ROTATED_SIGNING_SECRET }),
      );
      expect(result.statusCode).toBe(status);
      expect(b.secretsManager.requests).toHaveLength(reads);
    },
  );

  it.each([
    [1_000, 200, 2],
    [5_000, 500, 1],
  ])(
    "re-reads a rotated Tinybird token only if the read cannot outlast it (Tinybird takes %i ms)",
    async (ms, status, reads) => {
      b.clock.now = START;
      secretsManager(0, {}, { tinybirdToken: ROTATED_TINYBIRD_TOKEN });
      b.tinybird.handle((req) => {
        if (req.headers.authorization === `Bearer ${ROTATED_TINYBIRD_TOKEN}`) return tinybirdStored();
        b.clock.now += ms;
        return { status: 403, body: { error: "invalid token" } };
      });
      const result = await b.newContainer()(signedEvent(clerkFixture("user.created")));
      expect(result.statusCode).toBe(status);
      expect(b.secretsManager.requests).toHaveLength(reads);
    },
  );
});

describe("the log", () => {
  const personal = {
    email: "jane.doe@example.com",
    first: "Janeth",
    last: "Doevanger",
    ip: "203.0.113.77",
    phone: "+15555550123",
  };
  const withPersonalData = () => {
    const event = clerkFixture("user.created");
    return {
      ...event,
      event_attributes: { http_request: { client_ip: personal.ip, user_agent: "Mozilla/5.0 (PII test)" } },
      data: {
        ...(event.data as object),
        first_name: personal.first,
        last_name: personal.last,
        email_addresses: [{ id: "idn_1", email_address: personal.email }],
        phone_numbers: [{ id: "idn_2", phone_number: personal.phone }],
      },
    };
  };

  it("is one JSON line per request with id, type, outcome, status and latency", async () => {
    h.clock.now = START;
    const event = signedEvent(withPersonalData(), { id: "msg_logged" });
    await h.handler(event);
    expect(h.logs).toHaveLength(1);
    expect(h.logs[0]).toMatchObject({
      level: "info",
      service: "forwarder-test",
      message: "webhook handled",
      request_id: event.requestContext.requestId,
      cold_start: true,
      event_id: "msg_logged",
      event_type: "user.created",
      outcome: "forwarded",
      status: 200,
      latency_ms: 0,
      tinybird_status: 200,
    });
    await h.handler(signedEvent(withPersonalData()));
    expect(h.logs[1]).toMatchObject({ cold_start: false });
  });

  it("logs an unverified message id only when it is shaped like Svix's", async () => {
    const forged = 'msg_1" injected {"level":"error"}\nsecond line';
    const result = await h.handler(
      apiGatewayEvent("{}", { "svix-id": forged, "svix-timestamp": "1", "svix-signature": "v1,AAAA" }),
    );
    expect(result.statusCode).toBe(401);
    expect(h.logs.at(-1)).toMatchObject({ event_id: "(malformed)" });
    expect(h.logText.join("\n")).not.toContain("injected");
  });

  it("never carries a token, secret, signature, body or personal data, whatever the outcome", async () => {
    const signatures: string[] = [];
    const send = (options: Parameters<typeof signedEvent>[1] = {}, body: unknown = withPersonalData()) => {
      const event = signedEvent(body, options);
      signatures.push(
        ...String(event.headers["svix-signature"])
          .split(" ")
          .map((s) => s.slice(3)),
      );
      return event;
    };
    await h.handler(send());
    await h.handler(send({ secret: ROTATED_SIGNING_SECRET }));
    await h.handler(send({ method: "GET" }));
    await h.handler(send({}, JSON.stringify([withPersonalData()])));
    h.tinybird.handle(() => ({ status: 400, body: { error: `bad row ${personal.email}` } }));
    await h.handler(send());
    h.tinybird.handle(() => ({ status: 403, body: { error: "token p.xxx invalid" } }));
    h.clock.now += 31_000;
    await h.handler(send());
    h.tinybird.handle(() => tinybirdStored(1));
    await h.handler(send());
    h.secretAnswer = { error: "InternalServiceError", status: 500, message: "failure" };
    await h.newContainer()(send());

    const text = h.logText.join("\n");
    expect(h.logs.length).toBeGreaterThanOrEqual(8);
    for (const forbidden of [
      TINYBIRD_TOKEN,
      SIGNING_SECRET,
      SIGNING_SECRET.replace("whsec_", ""),
      PSEUDONYMIZATION_KEY,
      "AKIAFORWARDERTEST",
      "forwarder-test-secret-access-key",
      personal.email,
      personal.first,
      personal.last,
      personal.ip,
      personal.phone,
      "Mozilla/5.0",
      '"data"',
      ...signatures,
    ]) {
      expect(text).not.toContain(forbidden);
    }
  });
});
