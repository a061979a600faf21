/**
 * lambda/index.ts as Lambda loads it: dependencies built from the environment once per container
 * (a fresh module instance here), the secret read through the real SDK client found by
 * AWS_ENDPOINT_URL_SECRETS_MANAGER, logs on stdout.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import { awsEnvironment, clerkFixture, SECRET_ID, signedEvent } from "../support/forwarder-stubs";
import { type StandIns, startStandIns } from "./harness";

type Entry = { handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2> };

let stands: StandIns;

beforeAll(async () => {
  stands = await startStandIns();
});
afterAll(() => stands.close());
afterEach(() => {
  for (const name of ["SECRET_ID", "TINYBIRD_HOST", "TINYBIRD_DATASOURCE"]) delete process.env[name];
  stands.stdout.length = 0;
});

/** A new container: the module evaluated afresh under `env`. */
async function container(env: Record<string, string>): Promise<Entry> {
  Object.assign(process.env, awsEnvironment(stands.secretsManager.url), env);
  vi.resetModules();
  return (await import("../../lambda/index.js")) as Entry;
}

it("reads the secret once per container and forwards every event", async () => {
  const { tinybird, secretsManager } = stands;
  const { handler } = await container({ SECRET_ID, TINYBIRD_HOST: tinybird.url });
  for (const type of ["user.created", "session.created", "organization.created"]) {
    expect((await handler(signedEvent(clerkFixture(type)))).statusCode).toBe(200);
  }
  expect(secretsManager.requests).toHaveLength(1);
  expect(tinybird.requests.map((r) => JSON.parse(r.text).type)).toEqual([
    "user.created",
    "session.created",
    "organization.created",
  ]);
  expect(tinybird.requests[0]!.query.get("name")).toBe("clerk_events");

  const lines = stands.logLines();
  expect(lines).toHaveLength(3);
  expect(lines[0]).toMatchObject({ service: "clerk-tinybird-forwarder", outcome: "forwarded", status: 200 });

  const next = await container({ SECRET_ID, TINYBIRD_HOST: tinybird.url });
  await next.handler(signedEvent(clerkFixture("user.created")));
  expect(secretsManager.requests).toHaveLength(2);
});

it("answers 500 and names every variable to fix when the environment is wrong, without crashing", async () => {
  const { handler } = await container({ TINYBIRD_DATASOURCE: "clerk-events" });
  const result = await handler(signedEvent(clerkFixture("user.created")));
  expect(result.statusCode).toBe(500);
  // The caller is not verified: it learns nothing of the cause, the log line has it.
  expect(JSON.parse(result.body!)).toMatchObject({ code: "unavailable" });
  const [line] = stands.logLines();
  expect(line).toMatchObject({ outcome: "misconfigured" });
  for (const name of ["SECRET_ID", "TINYBIRD_HOST", "TINYBIRD_DATASOURCE"]) {
    expect(line?.detail).toContain(name);
  }
});
