import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLERK_KEY, type ClerkSvixFake, startClerkSvixFake } from "../support/clerk-svix-fake";
import { runProvisioningCli } from "../support/provisioning-cli";

const UID = "clerk-tinybird.clerk-tinybird.ci";

/** Runs the registration CLI as the component's local.Command does. */
const cli = (op: string, env: Record<string, string>) =>
  runProvisioningCli("infra/provisioning/clerk/cli.ts", op, env);

let fake: ClerkSvixFake;

beforeAll(async () => {
  fake = await startClerkSvixFake();
});

afterAll(async () => {
  await fake.close();
});

const baseEnv = () => ({
  CLERK_SECRET_KEY: CLERK_KEY,
  CLERK_API_URL: fake.clerk.url,
  SVIX_SERVER_URL: fake.svix.url,
  WEBHOOK_URL: "https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/clerk",
  EVENT_TYPES: "user.created,user.deleted",
  ENDPOINT_UID: UID,
  DESCRIPTION: "clerk-tinybird: stack ci",
});

// Each run starts node and tsx afresh (about 1 s alone, several on a loaded 2-core machine), and one
// test runs four: the default 20 s is too tight there.
describe("the registration CLI as a child process", { timeout: 60_000 }, () => {
  it("create prints one JSON line with the endpoint and its secret; delete removes it; stderr stays empty", async () => {
    const created = await cli("create", baseEnv());

    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const lines = created.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]!) as Record<string, string>;
    const endpoint = [...fake.endpoints.values()][0]!;
    expect(result).toMatchObject({
      appId: fake.appId,
      endpointId: endpoint.id,
      signingSecret: endpoint.secret,
      uid: UID,
    });
    expect(endpoint.eventTypes).toEqual(["user.created", "user.deleted"]);

    const deleted = await cli("delete", { ...baseEnv(), PULUMI_COMMAND_STDOUT: created.stdout });

    expect(deleted).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(fake.endpoints.size).toBe(0);
    expect(fake.appExists).toBe(true);
  });

  it("a delete that leaves the endpoint to its successor says so on stderr (the logged stream), quoting no credential", async () => {
    const old = await cli("create", baseEnv());
    const successor = await cli("create", baseEnv());
    const deleted = await cli("delete", { ...baseEnv(), PULUMI_COMMAND_STDOUT: old.stdout });

    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe("");
    expect(deleted.stderr).toBe(
      `warning: endpoint ${UID} is now managed by another resource (after a replace); left in place\n`,
    );
    expect(fake.endpoints.size).toBe(1);
    await cli("delete", { ...baseEnv(), PULUMI_COMMAND_STDOUT: successor.stdout });
    expect(fake.endpoints.size).toBe(0);
  });

  it("a rejected key exits 1 with one readable line on stderr that quotes no credential", async () => {
    const wrong = "sk_live_revokedKeyThatMustStayHidden";
    const failed = await cli("create", { ...baseEnv(), CLERK_SECRET_KEY: wrong });

    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe("");
    expect(failed.stderr.trim().split("\n")).toHaveLength(1);
    expect(failed.stderr).toMatch(/^Clerk answered 401 authentication_invalid .*config clerkSecretKey/);
    expect(failed.stderr).not.toContain(wrong);
    expect(failed.stderr).not.toMatch(/\n\s+at /);
  });
});
