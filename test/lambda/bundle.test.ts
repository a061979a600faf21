/**
 * The bundle deployment ships (lambda/build.ts → index.js, handler `index.handler`), loaded from a
 * directory with no node_modules, serving events end to end against the stand-ins.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildForwarderBundle } from "../../lambda/build";
import {
  awsEnvironment,
  clerkFixture,
  ROTATED_SIGNING_SECRET,
  SECRET_ID,
  signedEvent,
  TINYBIRD_TOKEN,
} from "../support/forwarder-stubs";
import { type StandIns, startStandIns } from "./harness";

let stands: StandIns;
let dir: string;

beforeAll(async () => {
  stands = await startStandIns();
  dir = mkdtempSync(join(tmpdir(), "forwarder-bundle-"));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await stands.close();
});

it("loads without node_modules and forwards signed events, refusing forged ones", async () => {
  const { code } = buildForwarderBundle();
  writeFileSync(join(dir, "index.js"), code);
  const { tinybird, secretsManager } = stands;
  Object.assign(process.env, awsEnvironment(secretsManager.url), { SECRET_ID, TINYBIRD_HOST: tinybird.url });
  const { handler } = createRequire(join(dir, "index.js"))("./index.js") as {
    handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  };

  const first = await handler(signedEvent(clerkFixture("user.created"), { id: "msg_bundled" }));
  const second = await handler(signedEvent(clerkFixture("session.created"), { base64: true }));
  const forged = await handler(signedEvent(clerkFixture("user.created"), { secret: ROTATED_SIGNING_SECRET }));

  expect([first.statusCode, second.statusCode, forged.statusCode]).toEqual([200, 200, 401]);
  expect(secretsManager.requests).toHaveLength(1);
  expect(tinybird.requests).toHaveLength(2);
  expect(tinybird.requests[0]!.headers.authorization).toBe(`Bearer ${TINYBIRD_TOKEN}`);
  expect(JSON.parse(tinybird.requests[0]!.text)).toMatchObject({
    type: "user.created",
    event_id: "msg_bundled",
  });
  const lines = stands.logLines();
  expect(lines.map((l) => l.outcome)).toEqual(["forwarded", "forwarded", "signature_mismatch"]);
});
