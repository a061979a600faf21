import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../lambda/config";
import { createHandler } from "../../lambda/forwarder";
import { staticSecretSource } from "../../lambda/secrets";
import { createTinybirdClient } from "../../lambda/tinybird";
import { busiestWindow } from "../support/clerk-directory";
import { CLERK_KEY } from "../support/clerk-svix-fake";
import { clerkFixture, PSEUDONYMIZATION_KEY, SIGNING_SECRET, signedEvent } from "../support/forwarder-stubs";
import { startStub } from "../support/http-stub";
import { fakePulumi } from "./fake-pulumi";
import { APPEND_TOKEN, DATA_SOURCE, startWorld, type World } from "./world";

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const idsOf = (w: World, prefix: string) =>
  [...w.tinybird.distinctIds()].filter((id) => id.startsWith(prefix)).sort();

describe("npm run backfill", () => {
  it("stores every user, organization and membership once, as the event that created it", async () => {
    world = await startWorld({ users: 1_234, organizations: 520, memberships: 700 });
    const { code, stdout, stderr } = await world.run();
    expect(stderr).toBe("");
    expect(code).toBe(0);

    const { directory } = world.clerk;
    expect(world.tinybird.rows).toHaveLength(1_234 + 520 + 700);
    expect(idsOf(world, "backfill_user_")).toEqual(
      directory.users.map((u) => `backfill_user_${u.id}`).sort(),
    );
    expect(idsOf(world, "backfill_organization_")).toEqual(
      directory.organizations.map((o) => `backfill_organization_${o.id}`).sort(),
    );
    expect(idsOf(world, "backfill_membership_")).toEqual(
      directory.memberships.map((m) => `backfill_membership_${m.id}`).sort(),
    );

    const user = world.tinybird.rows.find((r) => r.event_id === "backfill_user_user_000007")!;
    const source = directory.users[7]!;
    expect(user).toMatchObject({
      object: "event",
      type: "user.created",
      timestamp: source.created_at,
      event_time: new Date(source.created_at as number).toISOString(),
      origin: "backfill",
      received_at: new Date(world.clock.t).toISOString(),
    });
    // The webhook's data shape: every field the user.created fixture's data has, none renamed.
    expect(Object.keys(user.data as object).sort()).toEqual(
      Object.keys(clerkFixture("user.created").data as object).sort(),
    );
    const membership = world.tinybird.rows.find((r) => r.type === "organizationMembership.created")!;
    expect(membership.data).toMatchObject({
      object: "organization_membership",
      organization: { object: "organization" },
      public_user_data: { user_id: expect.stringMatching(/^user_/) },
    });
    expect(stdout.join("\n")).toMatch(/Backfill done .*2,454 rows acknowledged by Tinybird in clerk_events/);
    expect(stdout.join("\n")).toContain("users: 1,234 listed, 1,234 stored");
    expect(world.tinybird.contractErrors).toEqual([]);
  });

  it("adds nothing a reader counts twice when run again, or after an interrupted run", async () => {
    world = await startWorld({ users: 1_100, organizations: 30, memberships: 40 });
    world.tinybird.outageAfterRows = 600;
    const interrupted = await world.run();
    expect(interrupted.code).toBe(1);
    // Pages of 500: the third page meets the outage after 1,000 rows were stored.
    expect(interrupted.stderr).toMatch(
      /Backfill stopped .* at users from offset 1,000: Tinybird answered 503/,
    );
    expect(interrupted.stderr).toContain("users: 1,100 listed, 1,000 stored");
    expect(interrupted.stderr).toMatch(/run it again: rows already stored keep their event ids/);

    world.tinybird.outageAfterRows = Number.POSITIVE_INFINITY;
    expect((await world.run()).code).toBe(0);
    expect((await world.run()).code).toBe(0);
    const expected = 1_100 + 30 + 40;
    expect(world.tinybird.rows.length).toBe(1_000 + 2 * expected);
    expect(world.tinybird.distinctIds().size).toBe(expected);
  });

  it("never starts more Clerk requests in 10 s than a development instance allows, and waits out 429s", async () => {
    // 750 users in pages of 5: 300 requests, three times the dev limit of 100 per 10 s.
    world = await startWorld(
      { users: 750, organizations: 50, memberships: 50 },
      { rateLimit: { limit: 100, windowMs: 10_000 } },
    );
    world.clerk.fault("clerk", "GET", /^\/v1\/organizations$/, {
      status: 429,
      headers: { "retry-after": "7" },
      body: { errors: [{ code: "too_many_requests", message: "Too many requests" }] },
    });
    world.clerk.fault("clerk", "GET", /^\/v1\/organization_memberships$/, {
      status: 502,
      body: "bad gateway",
    });
    const started = world.clock.t;
    const { code, stderr } = await world.run({ deps: { pageSize: 5 } });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(world.tinybird.distinctIds().size).toBe(850);
    expect(world.busiestClerkWindow()).toBeLessThanOrEqual(100);
    // 300 user requests at 90 per 10 s take at least 30 s of (virtual) time.
    expect(world.clock.t - started).toBeGreaterThanOrEqual(30_000);
    // The request after the 429 came no sooner than its Retry-After.
    const orgRequests = world.clerk.clerk.requests
      .map((r, i) => ({ path: r.path, at: world!.clerk.clerkTimes[i]! }))
      .filter((r) => r.path === "/v1/organizations");
    expect(orgRequests[1]!.at - orgRequests[0]!.at).toBeGreaterThanOrEqual(7_000);
  });

  it("retries Tinybird's 429 after X-RateLimit-Reset and its 5xx, in batches under 10 MB at under 100 requests/s", async () => {
    world = await startWorld({ users: 600, organizations: 10, memberships: 10 });
    world.tinybird.fault({ status: 429, headers: { "x-ratelimit-reset": "12" }, body: "rate limited" });
    world.tinybird.fault({ status: 500, body: "oops" }, 2);
    // A lost answer: the rows are stored, the client retries, the copy shares the event ids.
    world.tinybird.fault({ status: 504, body: "gateway timeout" }, 1, true);
    // Pages of 4: 150 user batches, three times what 50 requests/s allow in a second.
    const { code, stderr } = await world.run({ deps: { pageSize: 4, attempts: 6 } });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(world.tinybird.distinctIds().size).toBe(620);
    const [first, second] = world.tinybird.times;
    expect(second! - first!).toBeGreaterThanOrEqual(12_000);
    expect(Math.max(...world.tinybird.bodyBytes)).toBeLessThan(10 * 1024 * 1024);
    expect(busiestWindow(world.tinybird.times, 1_000)).toBeLessThanOrEqual(100);
  });

  it("shows progress on a terminal, stays quiet when stderr is not one, and ends with a summary", async () => {
    world = await startWorld({ users: 3_000, organizations: 5, memberships: 5 });
    const quiet = await world.run();
    expect(quiet.stderr).toBe("");
    expect(quiet.stdout[0]).toMatch(/^Backfill done in \d+s: 3,010 rows acknowledged/);

    // Tinybird slowed down by rate limits, so the run takes (virtual) time worth reporting.
    world.tinybird.fault({ status: 429, headers: { "retry-after": "2" }, body: "" }, 3);
    const shown = await world.run({ tty: true });
    expect(shown.code).toBe(0);
    const frames = shown.stderr.split("\r\x1b[K").filter(Boolean);
    expect(frames.length).toBeGreaterThan(1);
    expect(
      frames.some((f) => /^users: [\d,]+ listed, [\d,]+ of [\d,]+ stored · [\d,]+ rows\/s · ETA /.test(f)),
    ).toBe(true);
    expect(frames.at(-1)).toMatch(/^done: 3,010 listed, 3,010 of 3,010 stored/);
    expect(shown.stderr.endsWith("\n")).toBe(true);
  });

  it("writes backfilled rows redacted and pseudonymised exactly like the forwarder's live rows", async () => {
    const privacy = {
      REDACT_PATHS: "data.private_metadata,data.last_name",
      PSEUDONYMIZE_PERSONAL_DATA: "true",
      PSEUDONYMIZATION_KEY,
    };
    world = await startWorld({ users: 3, organizations: 2, memberships: 2 });
    const { code } = await world.run({ env: { ...world.env, ...privacy } });
    expect(code).toBe(0);

    // The live forwarder, configured the same, receives user.created for the same user.
    const live: Record<string, unknown>[] = [];
    const tinybird = await startStub((req) => {
      live.push(JSON.parse(req.text.trim()) as Record<string, unknown>);
      return { status: 200, body: { successful_rows: 1, quarantined_rows: 0 } };
    });
    try {
      const loaded = loadConfig({ TINYBIRD_HOST: tinybird.url, ...privacy }, { needsSecretId: false });
      if (!loaded.ok) throw new Error(loaded.problems.join("; "));
      const handler = createHandler({
        config: loaded.config,
        secrets: staticSecretSource({
          tinybirdToken: APPEND_TOKEN,
          signingSecret: SIGNING_SECRET,
          pseudonymizationKey: PSEUDONYMIZATION_KEY,
        }),
        tinybird: createTinybirdClient({ host: tinybird.url, dataSource: DATA_SOURCE }),
        logger: { log: () => {} },
      });
      for (const [type, data] of [
        ["user.created", world.clerk.directory.users[1]],
        ["organizationMembership.created", world.clerk.directory.memberships[1]],
      ] as const) {
        const response = await handler(signedEvent({ ...clerkFixture(type), data }));
        expect(response.statusCode).toBe(200);
      }
    } finally {
      await tinybird.close();
    }
    const backfilled = (id: string) => world!.tinybird.rows.find((r) => r.event_id === id)!;
    expect(backfilled("backfill_user_user_000001").data).toEqual(live[0]!.data);
    expect(backfilled("backfill_membership_orgmem_000001").data).toEqual(live[1]!.data);
    const text = JSON.stringify(world.tinybird.rows);
    expect(text).not.toContain("@example.com");
    expect(text).not.toContain('"plan":"internal"');
  });

  it("redacts private_metadata as the forwarder does by default, and keeps it where REDACT_PRIVATE_METADATA=false", async () => {
    world = await startWorld({ users: 2, organizations: 0, memberships: 0 });
    expect((await world.run()).code).toBe(0);
    const user = () => world!.tinybird.rows.find((r) => r.event_id === "backfill_user_user_000001")!;
    expect((user().data as Record<string, unknown>).private_metadata).toBe("[redacted]");

    await world.close();
    world = await startWorld({ users: 2, organizations: 0, memberships: 0 });
    expect((await world.run({ env: { ...world.env, REDACT_PRIVATE_METADATA: "false" } })).code).toBe(0);
    expect((user().data as Record<string, unknown>).private_metadata).toEqual({ plan: "internal" });
  });

  it("with --stack, writes where and as the deployed forwarder does, from its environment output", async () => {
    world = await startWorld({ users: 2, organizations: 0, memberships: 0 });
    const w = world;
    const stack = (outputs: Record<string, unknown>) =>
      fakePulumi({
        outputs: { tinybirdAppendToken: APPEND_TOKEN, ...outputs },
        config: { "clerk-tinybird:clerkSecretKey": { value: CLERK_KEY, secret: true } },
      });
    const run = (outputs: Record<string, unknown>) =>
      w.run({
        argv: ["--stack", "prod"],
        env: { CLERK_API_URL: w.clerk.clerk.url },
        deps: { pulumi: stack(outputs) },
      });
    const privateMetadata = () => (w.tinybird.rows.at(-1)!.data as Record<string, unknown>).private_metadata;

    const deployed = await run({
      forwarderEnvironment: {
        SECRET_ID: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:credentials-secret-AbCdEf",
        TINYBIRD_HOST: w.tinybirdServer.url,
        TINYBIRD_DATASOURCE: DATA_SOURCE,
        REDACT_PATHS: "",
        PSEUDONYMIZE_PERSONAL_DATA: "false",
        REDACT_PRIVATE_METADATA: "false",
        ALLOWED_SOURCE_IPS: "44.228.126.217",
      },
    });
    expect(deployed.stderr).toBe("");
    expect(deployed.code).toBe(0);
    expect(privateMetadata()).toEqual({ plan: "internal" });

    // A stack deployed before the environment became an output: its settings from the older outputs.
    const older = await run({ tinybirdHost: w.tinybirdServer.url, redactPaths: ["data.last_name"] });
    expect(older.code).toBe(0);
    expect(privateMetadata()).toBe("[redacted]");
    expect((w.tinybird.rows.at(-1)!.data as Record<string, unknown>).last_name).toBe("[redacted]");
  });

  it("lists users only when the instance has organizations turned off", async () => {
    world = await startWorld({ users: 12, organizations: 0, memberships: 0 });
    const off = {
      status: 403,
      body: {
        errors: [
          {
            code: "organization_not_enabled_in_instance",
            message: "access denied",
            long_message: "The organizations feature is not enabled for this instance.",
          },
        ],
      },
    };
    world.clerk.fault("clerk", "GET", /^\/v1\/organization/, off, 2);
    const { code, stdout } = await world.run();
    expect(code).toBe(0);
    expect(world.tinybird.distinctIds().size).toBe(12);
    expect(stdout.join("\n")).toContain(
      "organizations: none (organizations are turned off for this instance)",
    );
  });

  it("stops before writing anything when Clerk refuses the key, saying which key to fix", async () => {
    world = await startWorld({ users: 5, organizations: 0, memberships: 0 });
    const { code, stderr } = await world.run({
      env: { ...world.env, CLERK_SECRET_KEY: "sk_test_revoked0123456789" },
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /Clerk answered 401 authentication_invalid .*CLERK_SECRET_KEY is wrong or revoked/,
    );
    expect(stderr).not.toContain("sk_test_revoked");
    expect(world.tinybird.rows).toEqual([]);
  });

  it("names every missing or wrong input at once", async () => {
    world = await startWorld({ users: 0, organizations: 0, memberships: 0 });
    const { code, stderr } = await world.run({
      env: {
        CLERK_SECRET_KEY: "pk_test_x",
        TINYBIRD_HOST: "api.tinybird.co",
        PSEUDONYMIZE_PERSONAL_DATA: "true",
      },
    });
    expect(code).toBe(1);
    expect(stderr).toContain("CLERK_SECRET_KEY does not look like a Clerk secret key");
    expect(stderr).toContain('TINYBIRD_HOST: "api.tinybird.co" is not a URL; e.g. https://api.tinybird.co');
    expect(stderr).toContain("TINYBIRD_TOKEN is not set");
    expect(stderr).toContain("PSEUDONYMIZATION_KEY is not set");
  });
});
