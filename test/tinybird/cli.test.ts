import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProvisioningCli } from "../support/provisioning-cli";
import { ADMIN_TOKEN, type FakeTinybird, startFakeTinybird } from "./support/fake-tinybird";

/** Runs the command as the component's local.Command does: `dir` = project root, inputs in env. */
const cli = (operation: string, env: Record<string, string>) =>
  runProvisioningCli("infra/provisioning/tinybird/cli.ts", operation, env);

describe("the provisioning command as a child process", () => {
  let fake: FakeTinybird;
  beforeAll(async () => {
    fake = await startFakeTinybird("classic");
    // The child process waits for real between polls: populate jobs are done at once here.
    fake.pollsPerJob = 0;
  });
  afterAll(() => fake.close());

  const env = () => ({
    TINYBIRD_HOST: fake.url,
    TINYBIRD_ADMIN_TOKEN: ADMIN_TOKEN,
    TINYBIRD_WORKSPACE_KIND: "classic",
  });

  it("prints one JSON line with the scoped tokens and never the admin token", async () => {
    const { code, stdout, stderr } = await cli("create", env());
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]!);
    expect(result).toMatchObject({
      kind: "classic",
      dataSource: "clerk_events",
      appendToken: fake.tokens.get("clerk_events_append")!.token,
      appendTokenName: "clerk_events_append",
    });
    expect(stdout).not.toContain(ADMIN_TOKEN);
  });

  it("fails with one readable line on stderr, exit 1, nothing on stdout, the token redacted", async () => {
    fake.fault("GET", "/v0/datasources/clerk_events", {
      status: 400,
      body: { error: `bad request from token ${ADMIN_TOKEN}` },
    });
    const { code, stdout, stderr } = await cli("update", env());
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trim()).toMatch(
      /^Tinybird answered 400 to GET \/v0\/datasources\/clerk_events: bad request from token \[redacted\]\. Fix: [^\n]+$/,
    );
    expect(stderr).not.toContain(ADMIN_TOKEN);
  });

  it("refuses an unknown operation", async () => {
    const { code, stderr } = await cli("refresh", env());
    expect(code).toBe(1);
    expect(stderr).toContain(
      "usage: node --import tsx infra/provisioning/tinybird/cli.ts create|update|delete",
    );
  });
});
