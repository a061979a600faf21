import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { endpointUid } from "../../clerk-access/config";
import { MANAGED_BY } from "../../clerk-access/endpoint";
import { resultCommand, runCommand } from "../../command-kit/command-runner";
import { readDesiredSettings } from "../../infra/provisioning/clerk/config";
import { type RegistrationResult, runCheck, runOperation } from "../../infra/provisioning/clerk/operations";
import { CLERK_KEY, type ClerkSvixFake, standardLink, startClerkSvixFake } from "../support/clerk-svix-fake";
import { jsonBody, type RecordedRequest } from "../support/http-stub";
import { captureIO } from "../support/provisioning-cli";

const URL_A = "https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/clerk";
const URL_B = "https://def456.execute-api.eu-west-1.amazonaws.com/webhooks/clerk";
const UID = "clerk-tinybird.clerk-tinybird.dev";

let fake: ClerkSvixFake;
let delays: number[];
let warnings: string[];

beforeEach(async () => {
  fake = await startClerkSvixFake();
  delays = [];
  warnings = [];
});

afterEach(async () => {
  await fake.close();
});

function envFor(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    CLERK_SECRET_KEY: CLERK_KEY,
    CLERK_API_URL: fake.clerk.url,
    SVIX_SERVER_URL: fake.svix.url,
    WEBHOOK_URL: URL_A,
    EVENT_TYPES: "",
    ENDPOINT_UID: UID,
    DESCRIPTION: "clerk-tinybird: Clerk events to Tinybird for stack dev (project clerk-tinybird)",
    COMMAND_NAME: "clerk-register",
    STACK_NAME: "dev",
    ...extra,
  };
}

const deps = () => ({
  policy: { sleep: async (ms: number) => void delays.push(ms) },
  warn: (line: string) => void warnings.push(line),
});

const run = (op: string, env: NodeJS.ProcessEnv) => runOperation(op, env, deps());

/** Runs an operation through the command runner, as the CLI does, capturing its two streams. */
async function runCaptured(op: string, env: NodeJS.ProcessEnv) {
  const c = captureIO();
  await runCommand(
    resultCommand({ usage: "usage: cli.ts create|update|delete", run: () => run(op, env) }),
    [],
    {},
    c.io,
  );
  return { out: c.out, err: c.err.join("\n"), code: c.code() };
}

/** The next run's environment, as local.Command hands it: the previous stdout included. */
const nextRun = (result: RegistrationResult | undefined, extra: Record<string, string> = {}) =>
  envFor({ PULUMI_COMMAND_STDOUT: JSON.stringify(result), ...extra });

const svixEndpointCalls = () => fake.svix.requests.filter((r) => r.path.includes("/endpoint"));
const calls = (requests: RecordedRequest[]) => requests.map((r) => `${r.method} ${r.path}`);

/** Every credential the run met: none may appear in a URL or a message. */
function credentials(result?: RegistrationResult): string[] {
  return [
    CLERK_KEY,
    ...fake.issuedTokens,
    ...fake.mintedTokens,
    ...[...fake.endpoints.values()].map((e) => e.secret),
    ...(result ? [result.signingSecret] : []),
  ];
}

describe("create", () => {
  it("creates the Svix app, exchanges a fresh one-time token and registers one endpoint with its secret", async () => {
    const result = await run("create", envFor());

    expect(fake.endpoints.size).toBe(1);
    const endpoint = [...fake.endpoints.values()][0]!;
    expect(result).toEqual({
      appId: fake.appId,
      endpointId: endpoint.id,
      signingSecret: endpoint.secret,
      uid: UID,
      owner: expect.any(String),
    });
    expect(endpoint).toMatchObject({
      uid: UID,
      url: URL_A,
      eventTypes: null,
      description: "clerk-tinybird: Clerk events to Tinybird for stack dev (project clerk-tinybird)",
      metadata: { managedBy: MANAGED_BY, owner: result!.owner },
    });
    expect(calls(fake.clerk.requests)).toEqual(["POST /v1/webhooks/svix", "POST /v1/webhooks/svix_url"]);
    expect(calls(fake.svix.requests)).toEqual([
      "POST /api/v1/auth/one-time-token",
      `GET /api/v1/app/${fake.appId}/endpoint/${UID}`,
      `POST /api/v1/app/${fake.appId}/endpoint`,
      `GET /api/v1/app/${fake.appId}/endpoint/${endpoint.id}/secret`,
      "POST /api/v1/auth/logout",
    ]);
    expect(fake.apiTokens.size).toBe(0);
  });

  it("sends the Clerk key and the Svix token only as bearer headers, and the one-time token only in a body", async () => {
    const result = await run("create", envFor());

    for (const req of fake.clerk.requests) expect(req.headers.authorization).toBe(`Bearer ${CLERK_KEY}`);
    const [exchange, ...endpointCalls] = fake.svix.requests;
    expect(exchange!.headers.authorization).toBeUndefined();
    // The second login link (svix_url) carries the token that was exchanged; the first was never used.
    expect(jsonBody(exchange!)).toEqual({ oneTimeToken: fake.issuedTokens[1] });
    const [apiToken] = fake.mintedTokens;
    for (const req of endpointCalls) expect(req.headers.authorization).toBe(`Bearer ${apiToken}`);
    const create = endpointCalls.find((r) => r.method === "POST")!;
    expect(jsonBody(create)).toEqual({
      url: URL_A,
      description: expect.stringContaining("stack dev"),
      eventTypes: null,
      uid: UID,
      metadata: { managedBy: MANAGED_BY, owner: result!.owner },
    });
    expect(create.headers["idempotency-key"]).toMatch(/^clerk-tinybird-/);
    for (const req of fake.all()) {
      const where = `${req.path}?${req.query.toString()}`;
      for (const secret of credentials(result)) expect(where).not.toContain(secret);
    }
  });

  it("subscribes to the configured event types only, sorted and without duplicates", async () => {
    await run("create", envFor({ EVENT_TYPES: "user.created, session.created,user.created" }));

    expect([...fake.endpoints.values()][0]!.eventTypes).toEqual(["session.created", "user.created"]);
  });

  it("treats an existing Svix app (400 svix_app_exists) as success", async () => {
    fake.appExists = true;
    const result = await run("create", envFor());

    expect(fake.clerk.requests[0]!.path).toBe("/v1/webhooks/svix");
    expect(result!.appId).toBe(fake.appId);
    expect(fake.endpoints.size).toBe(1);
  });

  it("derives a uid Svix accepts (letters, digits, - _ . and at most 256) from any project and stack name", async () => {
    const uid = endpointUid(`my project ${"x".repeat(300)}`, "team/dev ü");
    await run("create", envFor({ ENDPOINT_UID: uid }));

    expect(uid).toMatch(/^clerk-tinybird\.my-project-x+$/);
    expect([...fake.endpoints.values()].map((e) => e.uid)).toEqual([uid]);
  });

  it("reads URL-safe base64 keys without padding and links without a region", async () => {
    fake.setLoginLink(({ appId, oneTimeToken }) => {
      // Characters chosen so the standard alphabet would need + and /.
      const json = JSON.stringify({ appId, oneTimeToken, pad: "~~~>>>???" });
      return `https://app.svix.com/login#key=${Buffer.from(json).toString("base64url")}`;
    });
    const result = await run("create", envFor());

    expect(result!.appId).toBe(fake.appId);
    expect(fake.endpoints.size).toBe(1);
  });
});

describe("re-runs", () => {
  it("finds the endpoint by uid on a second create instead of adding a duplicate", async () => {
    const first = await run("create", envFor());
    const second = await run("create", envFor());

    expect(fake.endpoints.size).toBe(1);
    expect(second!.endpointId).toBe(first!.endpointId);
    expect(second!.signingSecret).toBe(first!.signingSecret);
    expect(svixEndpointCalls().filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("changes nothing on an update with unchanged settings", async () => {
    const first = await run("create", envFor());
    fake.svix.requests.length = 0;
    const second = await run("update", nextRun(first));

    expect(second).toEqual(first);
    expect(calls(svixEndpointCalls())).toEqual([
      `GET /api/v1/app/${fake.appId}/endpoint/${UID}`,
      `GET /api/v1/app/${fake.appId}/endpoint/${first!.endpointId}/secret`,
    ]);
  });

  it("updates the URL and event types in place, keeping the endpoint id and its secret", async () => {
    const first = await run("create", envFor());
    const second = await run(
      "update",
      nextRun(first, { WEBHOOK_URL: URL_B, EVENT_TYPES: "user.deleted,user.created" }),
    );

    expect(second!.endpointId).toBe(first!.endpointId);
    expect(second!.signingSecret).toBe(first!.signingSecret);
    expect(fake.endpoints.size).toBe(1);
    const patch = fake.svix.requests.find((r) => r.method === "PATCH")!;
    expect(patch.path).toBe(`/api/v1/app/${fake.appId}/endpoint/${first!.endpointId}`);
    expect(jsonBody(patch)).toEqual({
      url: URL_B,
      description: expect.stringContaining("stack dev"),
      eventTypes: ["user.created", "user.deleted"],
      disabled: false,
      metadata: { managedBy: MANAGED_BY, owner: first!.owner },
    });
    expect([...fake.endpoints.values()][0]).toMatchObject({
      url: URL_B,
      eventTypes: ["user.created", "user.deleted"],
    });
  });

  it("re-enables an endpoint Svix disabled after days of failed deliveries, keeping id and secret", async () => {
    const first = await run("create", envFor());
    const endpoint = [...fake.endpoints.values()][0]!;
    endpoint.disabled = true;
    const second = await run("update", nextRun(first));

    expect(endpoint.disabled).toBe(false);
    expect(second).toEqual(first);
    expect(jsonBody(fake.svix.requests.find((r) => r.method === "PATCH")!)).toMatchObject({
      disabled: false,
    });
    // Said on stderr, which `pulumi up` shows, with the reconcile command for the time it was off.
    expect(warnings).toEqual([expect.stringMatching(/was disabled .* and is enabled again/)]);
    expect(warnings[0]).toMatch(/npm run reconcile -- --stack dev --since \S+ --repair/);
  });

  it("goes back to every event type when the list is emptied", async () => {
    const first = await run("create", envFor({ EVENT_TYPES: "user.created" }));
    await run("update", nextRun(first, { EVENT_TYPES: "" }));

    expect([...fake.endpoints.values()][0]!.eventTypes).toBeNull();
  });

  it("recreates the endpoint on update when someone deleted it in the dashboard", async () => {
    const first = await run("create", envFor());
    fake.endpoints.clear();
    const second = await run("update", nextRun(first));

    expect(fake.endpoints.size).toBe(1);
    expect(second!.endpointId).not.toBe(first!.endpointId);
    expect(second!.owner).toBe(first!.owner);
  });

  it("adopts the endpoint a parallel run created between its read and its create (409)", async () => {
    const other = await run("create", envFor());
    fake.fault("svix", "GET", new RegExp(`/endpoint/${UID}$`), {
      status: 404,
      body: { code: "not_found", detail: "Entity not found" },
    });
    const mine = await run("create", envFor());

    expect(fake.endpoints.size).toBe(1);
    expect(mine!.endpointId).toBe(other!.endpointId);
    expect(mine!.signingSecret).toBe(other!.signingSecret);
    expect([...fake.endpoints.values()][0]!.metadata.owner).toBe(mine!.owner);
  });

  it("repeats a failed create with the same Idempotency-Key, so one that landed unseen is not made twice", async () => {
    fake.fault("svix", "POST", /\/endpoint$/, { status: 503, body: "unavailable" });
    await run("create", envFor());

    const creates = fake.svix.requests.filter((r) => r.method === "POST" && r.path.endsWith("/endpoint"));
    expect(creates).toHaveLength(2);
    expect(creates[1]!.headers["idempotency-key"]).toBe(creates[0]!.headers["idempotency-key"]);
    expect(fake.endpoints.size).toBe(1);
  });

  it("refuses an update that would leave the old endpoint behind in another instance's app", async () => {
    const first = await run("create", envFor());
    fake.appId = "app_2otherInstance";
    fake.endpoints.clear();

    await expect(run("update", nextRun(first))).rejects.toThrow(
      /registered in Svix app app_2fakeSvixApp.*now leads to app app_2otherInstance.*pulumi up --replace.*clerk-register/,
    );
    expect(fake.endpoints.size).toBe(0);
  });
});

describe("delete", () => {
  it("deletes only this stack's endpoint and never the Svix app", async () => {
    const mine = await run("create", envFor());
    const theirs = await run("create", envFor({ ENDPOINT_UID: "clerk-tinybird.clerk-tinybird.prod" }));
    const result = await run("delete", nextRun(mine));

    expect(result).toBeUndefined();
    expect([...fake.endpoints.keys()]).toEqual([theirs!.endpointId]);
    expect(fake.appExists).toBe(true);
    expect(fake.clerk.requests.filter((r) => r.method === "DELETE")).toHaveLength(0);
    expect(fake.clerk.requests.filter((r) => r.path === "/v1/webhooks/svix")).toHaveLength(2); // the two creates
  });

  it("finds the endpoint through the last result's uid when ENDPOINT_UID is missing", async () => {
    const first = await run("create", envFor());
    const { ENDPOINT_UID: _omitted, ...rest } = nextRun(first);
    await run("delete", rest);

    expect(fake.endpoints.size).toBe(0);
  });

  it("succeeds when the endpoint is already gone", async () => {
    const first = await run("create", envFor());
    fake.endpoints.clear();

    fake.svix.requests.length = 0;

    await expect(run("delete", nextRun(first))).resolves.toBeUndefined();
    expect(calls(svixEndpointCalls())).toEqual([
      `GET /api/v1/app/${fake.appId}/endpoint/${UID}`,
      `GET /api/v1/app/${fake.appId}/endpoint`,
    ]);
  });

  it("succeeds when the endpoint vanishes between the read and the delete", async () => {
    const first = await run("create", envFor());
    fake.fault("svix", "DELETE", /\/endpoint\//, {
      status: 404,
      body: { code: "not_found", detail: "gone" },
    });

    await expect(run("delete", nextRun(first))).resolves.toBeUndefined();
  });

  it("does not take Svix's 404 for 'gone' while the app itself is unknown there (Svix answers both alike)", async () => {
    await run("create", envFor());
    fake.setLoginLink(({ oneTimeToken, region }) =>
      standardLink({ appId: "app_2unknownHere", oneTimeToken, region }),
    );
    const { code, err } = await runCaptured("delete", envFor());

    expect(code).toBe(1);
    expect(err).toMatch(
      /^Svix answered 404 not_found \("Entity not found"\) when asked to list the endpoints of app app_2unknownHere/,
    );
    expect(err).toMatch(
      /cannot tell whether endpoint clerk-tinybird\.clerk-tinybird\.dev is gone.*Clerk dashboard.*pulumi state delete/,
    );
    expect(fake.endpoints.size).toBe(1);
  });

  it("succeeds without touching Svix when the instance has no Svix app at all", async () => {
    await expect(run("delete", envFor())).resolves.toBeUndefined();
    expect(calls(fake.clerk.requests)).toEqual(["POST /v1/webhooks/svix_url"]);
    expect(fake.svix.requests).toHaveLength(0);
  });

  it("leaves the endpoint to the resource that took it over after a replace", async () => {
    const old = await run("create", envFor());
    const successor = await run("create", envFor());
    await run("delete", nextRun(old));

    expect([...fake.endpoints.keys()]).toEqual([successor!.endpointId]);
    expect(warnings.join()).toMatch(/managed by another resource/);
  });

  it("warns, and still deletes what it can reach, when the key now leads to another app", async () => {
    const first = await run("create", envFor());
    await run("delete", envFor({ PULUMI_COMMAND_STDOUT: JSON.stringify({ ...first, appId: "app_2gone" }) }));

    expect(fake.endpoints.size).toBe(0);
    expect(warnings.join()).toMatch(/registered in Svix app app_2gone/);
  });
});

describe("the Svix token", () => {
  it("is logged out after a delete, and after a run that failed", async () => {
    const first = await run("create", envFor());
    await run("delete", nextRun(first));
    fake.fault("svix", "GET", /\/endpoint\/[^/]+$/, {
      status: 400,
      body: { code: "bad_request", detail: "no" },
    });
    await expect(run("create", envFor())).rejects.toThrow(/Svix answered 400/);

    const logouts = fake.svix.requests.filter((r) => r.path === "/api/v1/auth/logout");
    expect(logouts).toHaveLength(3);
    expect(new Set(logouts.map((r) => r.headers.authorization)).size).toBe(3);
    expect(fake.apiTokens.size).toBe(0);
  });

  it("a failed logout fails nothing and is not retried: the token expires on its own", async () => {
    fake.fault("svix", "POST", /\/auth\/logout$/, { status: 503, body: "down" }, 9);
    const result = await run("create", envFor());

    expect(result!.signingSecret).toBe([...fake.endpoints.values()][0]!.secret);
    expect(fake.svix.requests.filter((r) => r.path === "/api/v1/auth/logout")).toHaveLength(1);
    expect(delays).toEqual([]);
  });
});

describe("one-time tokens", () => {
  it("are single-use in the fake Svix, as in the real one", async () => {
    await run("create", envFor());
    const used = fake.issuedTokens[1]!;
    const again = await fetch(`${fake.svix.url}/api/v1/auth/one-time-token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ oneTimeToken: used }),
    });
    expect(again.status).toBe(401);
  });

  it("after a refused exchange, asks Clerk for a fresh link instead of resending the token", async () => {
    fake.fault("svix", "POST", /one-time-token/, {
      status: 401,
      body: { code: "authentication_failed", detail: "x" },
    });
    const result = await run("create", envFor());

    const sent = fake.svix.requests
      .filter((r) => r.path.endsWith("one-time-token"))
      .map((r) => jsonBody<{ oneTimeToken: string }>(r).oneTimeToken);
    expect(sent).toHaveLength(2);
    expect(new Set(sent).size).toBe(2);
    expect(calls(fake.clerk.requests).filter((c) => c.endsWith("svix_url"))).toHaveLength(2);
    expect(result!.endpointId).toBeDefined();
  });

  it("after a 503 from the exchange, retries with a fresh link", async () => {
    fake.fault("svix", "POST", /one-time-token/, { status: 503, body: "upstream down" });
    await run("create", envFor());

    const sent = fake.svix.requests
      .filter((r) => r.path.endsWith("one-time-token"))
      .map((r) => jsonBody<{ oneTimeToken: string }>(r).oneTimeToken);
    expect(sent).toHaveLength(2);
    expect(sent[0]).not.toBe(sent[1]);
    expect(delays).toHaveLength(1);
  });

  it("after a 429 from the exchange, waits its Retry-After and retries with a fresh link", async () => {
    fake.fault("svix", "POST", /one-time-token/, {
      status: 429,
      headers: { "retry-after": "4" },
      body: { code: "rate_limited", detail: "slow down" },
    });
    const result = await run("create", envFor());

    expect(delays).toEqual([4000]);
    expect(calls(fake.clerk.requests).filter((c) => c.endsWith("svix_url"))).toHaveLength(2);
    expect(result!.endpointId).toBe([...fake.endpoints.values()][0]!.id);
  });

  it("gives up naming manual mode when the token is refused even from a fresh link", async () => {
    fake.fault(
      "svix",
      "POST",
      /one-time-token/,
      { status: 401, body: { code: "authentication_failed", detail: "x" } },
      9,
    );
    const { code, err } = await runCaptured("create", envFor());

    expect(code).toBe(1);
    expect(err).toMatch(/Svix answered 401 authentication_failed .*one-time token.*\(after 2 attempts\)/);
    expect(err).toContain("manual mode");
    expect(err).toContain("clerkWebhookSigningSecret");
    expect(fake.svix.requests.filter((r) => r.path.endsWith("one-time-token"))).toHaveLength(2);
  });

  it("names manual mode when the exchange route is gone (404)", async () => {
    fake.fault("svix", "POST", /one-time-token/, {
      status: 404,
      body: { code: "not_found", detail: "no route" },
    });
    const { code, err } = await runCaptured("create", envFor());

    expect(code).toBe(1);
    expect(err).toMatch(/Svix answered 404 not_found \("no route"\) when asked to exchange/);
    expect(err).toMatch(/undocumented.*manual mode.*clerkWebhookSigningSecret/);
    expect(fake.svix.requests.filter((r) => r.path.endsWith("one-time-token"))).toHaveLength(1);
  });
});

describe("errors", () => {
  it("a wrong Clerk key (401) names the config key and sk_test/sk_live, never the key", async () => {
    const wrong = "sk_live_wrongKeyThatMustNeverBePrinted";
    const { code, err, out } = await runCaptured("create", envFor({ CLERK_SECRET_KEY: wrong }));

    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toMatch(
      /^Clerk answered 401 authentication_invalid \("Unauthorized request \(long\)"\) when asked to create the instance's Svix app \(POST \/v1\/webhooks\/svix\)\. The Clerk secret key \(config clerkSecretKey\) is wrong or revoked/,
    );
    expect(err).toMatch(/sk_test_.*development.*sk_live_.*production/);
    expect(err).not.toContain(wrong);
    expect(delays).toEqual([]);
  });

  it("a 403 from Clerk explains the key may belong to another instance", async () => {
    fake.fault("clerk", "POST", /svix$/, {
      status: 403,
      body: { errors: [{ code: "forbidden", message: "Forbidden", long_message: "Not allowed" }] },
    });
    const { err } = await runCaptured("create", envFor());

    expect(err).toMatch(/Clerk answered 403 forbidden \("Not allowed"\)/);
    expect(err).toMatch(/clerkSecretKey is a secret key of the intended instance/);
  });

  it("waits as long as Clerk's Retry-After says on 429, then succeeds", async () => {
    fake.fault("clerk", "POST", /svix_url$/, {
      status: 429,
      headers: { "retry-after": "2" },
      body: { errors: [{ code: "too_many_requests", message: "Too many requests" }] },
    });
    const result = await run("create", envFor());

    expect(result!.endpointId).toBeDefined();
    expect(delays).toEqual([2000]);
  });

  it("honours Svix's Retry-After on 429", async () => {
    fake.fault("svix", "GET", /\/endpoint\/[^/]+$/, {
      status: 429,
      headers: { "retry-after": "3" },
      body: { code: "rate_limited", detail: "slow down" },
    });
    await run("create", envFor());

    expect(delays).toEqual([3000]);
  });

  it("retries a 5xx from Svix once per backoff, without the svix client's own retries on top", async () => {
    fake.fault("svix", "GET", /\/endpoint\/[^/]+$/, { status: 502, body: "bad gateway" });
    await run("create", envFor());

    const reads = fake.svix.requests.filter((r) => r.method === "GET" && !r.path.endsWith("/secret"));
    expect(reads).toHaveLength(2);
    expect(reads.every((r) => r.headers["svix-retry-count"] === undefined)).toBe(true);
    expect(delays).toHaveLength(1);
  });

  it("retries a dropped connection to Clerk", async () => {
    fake.fault("clerk", "POST", /svix$/, (res) => res.socket?.destroy());
    const result = await run("create", envFor());

    expect(result!.endpointId).toBeDefined();
    expect(delays).toHaveLength(1);
  });

  it("reports exhausted retries with the status, the attempts and what to do", async () => {
    fake.fault("clerk", "POST", /svix_url$/, { status: 503, body: { errors: [] } }, 99);
    const { code, err } = await runCaptured("create", envFor());

    expect(code).toBe(1);
    expect(err).toMatch(/Clerk answered 503 when asked to issue a Svix login link .*\(after 5 attempts\)/);
    expect(err).toMatch(/status\.clerk\.com.*pulumi up/);
    expect(delays).toHaveLength(4);
  });

  it("says it could not reach Svix when nothing listens there", async () => {
    const closed = await startClerkSvixFake();
    const deadUrl = closed.svix.url;
    await closed.close();
    const { err } = await runCaptured("create", envFor({ SVIX_SERVER_URL: deadUrl }));

    expect(err).toMatch(/Could not reach Svix \(ECONNREFUSED\) to exchange the login link's one-time token/);
    expect(err).toMatch(/network access/);
  });

  it("a login link without #key= names manual mode and does not quote the link", async () => {
    fake.setLoginLink(({ oneTimeToken }) => `https://app.svix.com/login?token=${oneTimeToken}`);
    const { code, err } = await runCaptured("create", envFor());

    expect(code).toBe(1);
    expect(err).toMatch(/no #key= part.*undocumented.*manual mode.*clerkWebhookSigningSecret/);
    for (const token of fake.issuedTokens) expect(err).not.toContain(token);
    expect(fake.svix.requests).toHaveLength(0);
  });

  it("an undecodable key names manual mode", async () => {
    fake.setLoginLink(() => "https://app.svix.com/login#key=%%%not-base64");
    const { err } = await runCaptured("create", envFor());

    expect(err).toMatch(/not base64-encoded JSON.*manual mode/);
  });

  it("a key without the expected fields lists what it had and names manual mode", async () => {
    fake.setLoginLink(({ oneTimeToken }) => standardKey({ token: oneTimeToken, application: "x" }));
    const { err } = await runCaptured("create", envFor());

    expect(err).toMatch(/lacks appId or oneTimeToken \(it has: token, application\).*manual mode/);
    for (const token of fake.issuedTokens) expect(err).not.toContain(token);
  });

  it("an answer without svix_url names manual mode", async () => {
    fake.setLoginLink(() => undefined);
    const { err } = await runCaptured("create", envFor());

    expect(err).toMatch(/carried no svix_url.*manual mode/);
  });

  it("a 200 from Svix that is not JSON names manual mode", async () => {
    fake.fault("svix", "GET", /\/endpoint\/[^/]+$/, { status: 200, body: "<html>maintenance</html>" });
    const { err } = await runCaptured("create", envFor());

    expect(err).toMatch(
      /^Svix's answer when asked to read endpoint .* was not JSON.*undocumented.*manual mode/,
    );
  });

  it("Svix's 422 for an unknown event type reads as its field and words and points at clerkEventTypes", async () => {
    const { err } = await runCaptured("create", envFor({ EVENT_TYPES: "user.created,user.nope" }));

    expect(err).toContain(
      `Svix answered 422 ("body.eventTypes: The following event types don't exist: user.nope") when asked to create endpoint ${UID}`,
    );
    expect(err).toMatch(/config clerkEventTypes/);
    expect(fake.endpoints.size).toBe(0);
  });

  it("the same 422 on an update names the update", async () => {
    const first = await run("create", envFor());
    const { err } = await runCaptured("update", nextRun(first, { EVENT_TYPES: "user.nope" }));

    expect(err).toMatch(
      /^Svix answered 422 \("body\.eventTypes: .*user\.nope"\) when asked to update endpoint/,
    );
    expect([...fake.endpoints.values()][0]!.eventTypes).toBeNull();
  });

  it("Svix refusing the token from Clerk's link (401 on the endpoint) names the hand-over and manual mode", async () => {
    fake.fault("svix", "GET", /\/endpoint\/[^/]+$/, {
      status: 401,
      body: { code: "authentication_failed", detail: "Incorrect authentication credentials." },
    });
    const { code, err } = await runCaptured("create", envFor());

    expect(code).toBe(1);
    expect(err).toMatch(
      /^Svix answered 401 authentication_failed \("Incorrect authentication credentials\."\) when asked to read endpoint .*Svix refused the token obtained through Clerk's login link for app app_2fakeSvixApp.*manual mode.*clerkWebhookSigningSecret/,
    );
    expect(delays).toEqual([]);
  });

  it("a non-JSON 403 page from a proxy keeps its status", async () => {
    fake.fault("svix", "GET", /\/endpoint\/[^/]+$/, {
      status: 403,
      headers: { "content-type": "text/html" },
      body: "<html>Forbidden by proxy</html>",
    });
    const { err } = await runCaptured("create", envFor());

    expect(err).toMatch(/Svix answered 403 non_json_answer \("<html>Forbidden by proxy<\/html>"\)/);
    expect(err).toContain("manual mode");
  });

  it("a missing or malformed Clerk key fails before any request", async () => {
    const missing = await runCaptured("create", envFor({ CLERK_SECRET_KEY: "" }));
    const malformed = await runCaptured(
      "create",
      envFor({ CLERK_SECRET_KEY: "pk_test_publishableKeyByMistake" }),
    );

    expect(missing.err).toMatch(/CLERK_SECRET_KEY is not set.*clerkSecretKey/);
    expect(malformed.err).toMatch(/does not look like a Clerk secret key.*sk_test_.*sk_live_/);
    expect(malformed.err).not.toContain("pk_test_publishableKeyByMistake");
    expect(fake.all()).toHaveLength(0);
  });

  it("an unknown operation is refused", async () => {
    await expect(run("upsert", envFor())).rejects.toThrow(/unknown operation "upsert"/);
  });

  it("no message quotes a credential even when a service echoes one back", async () => {
    fake.fault("clerk", "POST", /svix$/, {
      status: 400,
      body: { errors: [{ code: "weird", message: `bad key ${CLERK_KEY}` }] },
    });
    const { err } = await runCaptured("create", envFor());

    expect(err).toContain("[redacted]");
    for (const secret of credentials()) expect(err).not.toContain(secret);
  });
});

function standardKey(fields: Record<string, unknown>): string {
  return `https://app.svix.com/login#key=${Buffer.from(JSON.stringify(fields)).toString("base64")}`;
}

describe("the URLs a credential goes to", () => {
  const env = {
    CLERK_SECRET_KEY: "sk_test_x",
    ENDPOINT_UID: "clerk-tinybird.p.s",
    WEBHOOK_URL: "https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/clerk",
  };
  it.each([
    ["CLERK_API_URL", "http://api.clerk.example.com", /CLERK_API_URL: .*must use https/],
    ["CLERK_API_URL", "https://me:hunter2@api.clerk.com", /CLERK_API_URL: .*user name or password/],
    ["SVIX_SERVER_URL", "http://svix.example.com", /SVIX_SERVER_URL: .*must use https/],
    [
      "WEBHOOK_URL",
      "http://abc.execute-api.eu-west-1.amazonaws.com/webhooks/clerk",
      /WEBHOOK_URL: .*must use https/,
    ],
  ])("refuses %s = %s (non-loopback http, or user:password)", (name, value, why) => {
    const read = () => readDesiredSettings({ ...env, [name]: value });
    expect(read).toThrow(why);
    expect(read).not.toThrow(/hunter2/);
  });

  it("accepts http to this machine (the tests' local Clerk and Svix)", () => {
    expect(
      readDesiredSettings({
        ...env,
        CLERK_API_URL: "http://127.0.0.1:4010",
        SVIX_SERVER_URL: "http://127.0.0.1:4011",
      }),
    ).toMatchObject({ clerkApiUrl: "http://127.0.0.1:4010", svixServerUrl: "http://127.0.0.1:4011" });
  });
});

describe("check (every pulumi up)", () => {
  // The stand-in lists 90 days back from its own (real) clock, as Svix does.
  const NOW = Date.now();
  const check = (env: NodeJS.ProcessEnv) => runCheck(env, { ...deps(), now: () => NOW });

  it("finds a disabled endpoint, enables it again and gives the time of its last successful delivery", async () => {
    const first = await run("create", envFor());
    const endpoint = [...fake.endpoints.values()][0]!;
    const delivered = NOW - 8 * 86_400_000;
    fake.log.add("user.created", delivered - 3_600_000, { endpoint: endpoint.id, status: 0 });
    fake.log.add("user.created", delivered, { endpoint: endpoint.id, status: 0 });
    fake.log.add("user.created", delivered + 60_000, { endpoint: endpoint.id, status: 2 });
    endpoint.disabled = true;
    const before = fake.svix.requests.length;

    const result = await check(envFor());
    expect(result).toEqual({
      state: "repaired",
      uid: UID,
      endpointId: first!.endpointId,
      repaired: ["disabled"],
      reenabled: {
        lastDelivered: new Date(delivered).toISOString(),
        since: new Date(delivered).toISOString(),
      },
    });
    expect(endpoint.disabled).toBe(false);
    const patch = fake.svix.requests.slice(before).find((r) => r.method === "PATCH")!;
    // Only the settings: the metadata naming the owning resource stays as the registration left it.
    expect(jsonBody(patch)).toEqual({
      url: URL_A,
      description: expect.any(String),
      eventTypes: null,
      disabled: false,
    });
    expect(endpoint.metadata).toEqual({ managedBy: MANAGED_BY, owner: first!.owner });
    expect(fake.apiTokens.size).toBe(0);
  });

  it("leaves an endpoint in line alone, and says Svix lists no delivery when there is none in 90 days", async () => {
    await run("create", envFor());
    expect(await check(envFor())).toMatchObject({ state: "ok", uid: UID });
    expect(fake.svix.requests.filter((r) => r.method === "PATCH")).toEqual([]);

    [...fake.endpoints.values()][0]!.disabled = true;
    expect(await check(envFor())).toMatchObject({
      state: "repaired",
      reenabled: { since: new Date(NOW - 90 * 86_400_000).toISOString() },
    });
  });

  it("puts back an event filter changed in the dashboard, and reports an endpoint deleted there", async () => {
    await run("create", envFor({ EVENT_TYPES: "session.created,user.created" }));
    const endpoint = [...fake.endpoints.values()][0]!;
    endpoint.eventTypes = ["user.created"];
    expect(await check(envFor({ EVENT_TYPES: "session.created,user.created" }))).toMatchObject({
      state: "repaired",
      repaired: ["eventTypes"],
    });
    expect(endpoint.eventTypes).toEqual(["session.created", "user.created"]);

    fake.endpoints.clear();
    expect(await check(envFor())).toEqual({ state: "missing", uid: UID });
  });

  it("never fails the deployment: a check that cannot run returns its problem, quoting no credential", async () => {
    await run("create", envFor());
    fake.fault("clerk", "POST", /svix_url/, {
      status: 401,
      body: { errors: [{ code: "authentication_invalid", message: "bad" }] },
    });
    const result = await check(envFor());
    expect(result).toMatchObject({
      state: "unchecked",
      problem: expect.stringMatching(/Clerk answered 401/),
    });
    for (const secret of credentials()) expect(JSON.stringify(result)).not.toContain(secret);
  });
});
