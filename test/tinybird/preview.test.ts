/**
 * `pulumi preview` on Pulumi's mocks (preview = true) against the Forward stand-in: the program asks
 * Tinybird to check the exact datafiles `pulumi up` would deploy, shows its warnings and the changes
 * it would make, fails on its errors, and changes nothing in the workspace.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { FAILED_AFTER_LOGGING, TinybirdProject } from "../../infra/components/tinybird-project";
import { runOperation } from "../../infra/provisioning/tinybird/provision";
import { installMocks } from "../support/pulumi-mocks";
import { ADMIN_TOKEN, type FakeTinybird, multipartFiles, startFakeTinybird } from "./support/fake-tinybird";
import { envFor, makeProject, PIPES, recordingSleep, removeProject } from "./support/project";

installMocks({ preview: true });

const logged = { info: [] as string[], warn: [] as string[], error: [] as string[] };
beforeAll(() => {
  for (const level of ["info", "warn", "error"] as const) {
    vi.spyOn(pulumi.log, level).mockImplementation(async (message: string) => {
      logged[level].push(message);
    });
  }
});
afterAll(() => vi.restoreAllMocks());

let fake: FakeTinybird;
let root: string;
let count = 0;
beforeEach(async () => {
  fake = await startFakeTinybird();
  root = makeProject();
  for (const list of Object.values(logged)) list.length = 0;
});
afterEach(async () => {
  await fake.close();
  removeProject(root);
  process.exitCode = undefined;
});

/** The stack's first pulumi up, with this project's own provisioning. */
const deployed = () => {
  const clock = recordingSleep();
  return runOperation("create", envFor(fake), {
    root,
    sleep: clock.sleep,
    now: clock.now,
    progress: () => {},
  });
};

/** The component as `pulumi preview` builds it, resolved once Tinybird has answered. */
async function preview(host = fake.url): Promise<string> {
  const project = new TinybirdProject(`preview-${++count}`, {
    host,
    adminToken: pulumi.secret(ADMIN_TOKEN),
    dataSourceName: "clerk_events",
    deleteDataOnDestroy: false,
    allowDestructiveOperations: false,
    deploymentWaitMinutes: 120,
    projectDir: root,
  });
  return new Promise((resolve) => project.tinybirdCheck!.apply(resolve));
}

const mutations = () => fake.calls().filter((c) => !c.startsWith("GET ") && !c.includes("check=true"));

describe("pulumi preview asks Tinybird to check the datafiles", () => {
  it("sends exactly what pulumi up deploys, with check=true, and shows the changes Tinybird would make", async () => {
    await deployed();
    writeFileSync(
      join(root, "tinybird/endpoints/new_users.pipe"),
      PIPES["signups.pipe"].replace("signups", "new_users"),
    );
    fake.requests.length = 0;
    const verdict = await preview();
    expect(verdict).toBe("Tinybird's check passed: new pipes: new_users");
    expect(logged.info).toContain(verdict);
    expect(logged.error).toEqual([]);
    expect(process.exitCode).toBeUndefined();
    const checks = fake.requests.filter((r) => r.path === "/v1/deploy");
    expect(checks.map((r) => r.query.toString())).toEqual(["check=true"]);
    expect((await multipartFiles(checks[0]!)).map((f) => f.filename)).toEqual([
      "datasources/clerk_events.datasource",
      "endpoints/active_users.pipe",
      "endpoints/new_users.pipe",
      "endpoints/signups.pipe",
    ]);
    expect(mutations()).toEqual([]);
    expect(fake.deployments).toHaveLength(1);
  });

  it("says when nothing would change", async () => {
    await deployed();
    expect(await preview()).toBe(
      "Tinybird's check: the workspace already runs these datafiles, nothing to deploy",
    );
  });

  it("shows Tinybird's warnings, and a deployment pulumi up would wait for", async () => {
    removeProject(root);
    root = makeProject(PIPES, { materializations: true });
    await deployed();
    fake.populateSteps = 50;
    const view = join(root, "tinybird/materializations/clerk_events_device_days_mv.pipe");
    writeFileSync(
      view,
      readFileSync(view, "utf8").replace("'unknown', device_type)", "'unknown', lower(device_type))"),
    );
    const clock = recordingSleep();
    await runOperation("update", envFor(fake, { TINYBIRD_DEPLOYMENT_WAIT_MINUTES: "1" }), {
      root,
      sleep: clock.sleep,
      now: clock.now,
      progress: () => {},
    }).catch(() => undefined);
    fake.deployments.at(-1)!.stepsLeft = 1_000;
    fake.warnNext("Pipe signups.pipe", "The endpoint scans the whole table");
    await preview();
    expect(logged.warn).toEqual([
      "Tinybird's check warns: Pipe signups.pipe: The endpoint scans the whole table",
    ]);
    expect(logged.info[0]).toMatch(
      /^Tinybird deployment 2 is (creating_schema|schema_ready) in the workspace: pulumi up waits for it/,
    );
    expect(fake.deployments).toHaveLength(2);
  });

  it("fails the preview with Tinybird's errors, naming the fix, and changes nothing", async () => {
    await deployed();
    const ds = join(root, "tinybird/datasources/clerk_events.datasource");
    writeFileSync(ds, readFileSync(ds, "utf8").replace("`status` LowCardinality(String)", "`status` String"));
    fake.requests.length = 0;
    expect(await preview()).toBe("");
    expect(process.exitCode).toBe(FAILED_AFTER_LOGGING);
    expect(logged.error).toHaveLength(1);
    expect(logged.error[0]).toMatch(
      /^Tinybird's check refused these datafiles: Datasource clerk_events\.datasource: Column 'status' changes type from LowCardinality\(String\) to String.*Fix: Tinybird needs a FORWARD_QUERY/,
    );
    expect(mutations()).toEqual([]);
  });

  it("fails the preview on a workspace that is not Forward, with Tinybird's migration", async () => {
    await fake.close();
    fake = await startFakeTinybird({ kind: "classic" });
    await preview();
    expect(logged.error).toEqual([
      expect.stringMatching(/^This Tinybird workspace is not a Tinybird Forward workspace/),
    ]);
    expect(process.exitCode).toBe(FAILED_AFTER_LOGGING);
  });

  it("only warns when Tinybird cannot be reached: pulumi up checks again", async () => {
    const closed = await startFakeTinybird();
    await closed.close();
    expect(await preview(closed.url)).toBe("");
    expect(logged.error).toEqual([]);
    expect(process.exitCode).toBeUndefined();
    expect(logged.warn).toEqual([
      expect.stringMatching(/^could not ask Tinybird to check the datafiles \(could not reach Tinybird/),
    ]);
  });
});
