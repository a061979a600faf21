import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runOperation } from "../../infra/provisioning/tinybird/provision";
import { runProvisioningCli, startProvisioningCli } from "../support/provisioning-cli";
import { ADMIN_TOKEN, type FakeTinybird, startFakeTinybird } from "./support/fake-tinybird";
import { makeProject, PIPES, recordingSleep, removeProject } from "./support/project";

const SCRIPT = "infra/provisioning/tinybird/cli.ts";

describe("the provisioning command as a child process", () => {
  let fake: FakeTinybird;
  let root: string;
  beforeEach(async () => {
    fake = await startFakeTinybird();
    root = makeProject(PIPES, { materializations: true });
  });
  afterEach(async () => {
    await fake.close();
    removeProject(root);
  });

  // As the component's local.Command runs it (project root as working directory), looking at the
  // deployment every 20 ms instead of 5 s.
  const env = (extra: Record<string, string> = {}) => ({
    TINYBIRD_HOST: fake.url,
    TINYBIRD_ADMIN_TOKEN: ADMIN_TOKEN,
    TINYBIRD_PROJECT_DIR: root,
    TINYBIRD_POLL_INTERVAL_MS: "20",
    ...extra,
  });

  it("prints one JSON line with the scoped tokens on stdout, progress on stderr, never the admin token", async () => {
    fake.populateSteps = 2;
    const { code, stdout, stderr } = await runProvisioningCli(SCRIPT, "create", env());
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      kind: "forward",
      dataSource: "clerk_events",
      appendToken: fake.tokens.get("clerk_append")!.token,
      appendTokenName: "clerk_append",
    });
    expect(stderr).toMatch(/^Tinybird deployment 1 created: new data sources: clerk_events, /);
    expect(stderr).toMatch(/waiting for Tinybird deployment 1 \(this run's\): schema_ready, \d+s elapsed/);
    expect(stderr).toMatch(/Tinybird deployment 1 \(this run's\) is live, after \d+s\n$/);
    expect(stderr).not.toMatch(/p\.[A-Za-z0-9]{8}/);
    expect(stdout + stderr).not.toContain(ADMIN_TOKEN);
  });

  it("fails with one readable line on stderr, exit 1, nothing on stdout, the token redacted", async () => {
    fake.fault("GET", "/v1/deployments", {
      status: 400,
      body: { error: `bad request from token ${ADMIN_TOKEN}` },
    });
    const { code, stdout, stderr } = await runProvisioningCli(SCRIPT, "update", env());
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trim()).toMatch(
      /^Tinybird answered 400 to GET \/v1\/deployments: bad request from token \[redacted\]\. Fix: [^\n]+$/,
    );
    expect(stderr).not.toContain(ADMIN_TOKEN);
  });

  it("refuses an unknown operation", async () => {
    const { code, stderr } = await runProvisioningCli(SCRIPT, "refresh", env());
    expect(code).toBe(1);
    expect(stderr).toContain(
      "usage: node --import tsx infra/provisioning/tinybird/cli.ts create|update|delete",
    );
  });

  it("interrupted mid-populate, says the deployment goes on; the next run converges with exactly one populate", async () => {
    fake.populateSteps = 1_000;
    const run = startProvisioningCli(SCRIPT, "create", env());
    await vi.waitFor(() => expect(run.stderr()).toContain("(this run's): schema_ready"), {
      timeout: 20_000,
      interval: 50,
    });
    run.child.kill("SIGTERM");
    expect(await run.exit).toBe(143);
    expect(run.stdout()).toBe("");
    expect(run.stderr()).toMatch(
      /interrupted \(SIGTERM\): a Tinybird deployment this run started or was waiting for goes on in Tinybird, which promotes it once its data is ready; the next pulumi up waits for it/,
    );
    expect(fake.deployments.map((d) => d.status)).toEqual(["schema_ready"]);

    // The next pulumi up, while the populate finishes: waits for that deployment rather than starting another.
    fake.deployments[0]!.stepsLeft = 3;
    const clock = recordingSleep();
    const result = await runOperation("create", env(), {
      root,
      sleep: clock.sleep,
      now: clock.now,
      progress: () => {},
    });
    expect(fake.deployments.map((d) => [d.id, d.status])).toEqual([["1", "live"]]);
    const populated = fake.populates.map((p) => `${p.deployment}:${p.datasource}`);
    expect(populated.length).toBeGreaterThanOrEqual(5);
    expect(new Set(populated).size).toBe(populated.length);
    expect(populated.every((p) => p.startsWith("1:"))).toBe(true);
    expect(result).toMatchObject({ appendToken: fake.tokens.get("clerk_append")!.token });
  });
});
