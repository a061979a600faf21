/**
 * Provisioning the committed project with its rollups and materialized pipes, on both workspace
 * kinds: Classic creates each rollup before the pipe writing it and populates it from stored rows on
 * first creation (following the job, as `tb push --populate --wait` does); Forward deploys every
 * datafile in one deployment; destroy keeps the data unless asked, and then removes readers first.
 */
import { rmSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pipeCreateBody } from "../../infra/provisioning/tinybird/classic-params";
import { runOperation } from "../../infra/provisioning/tinybird/provision";
import { loadProject, projectDatafiles } from "../../tinybird-model/project";
import { type FakeTinybird, multipartFiles, startFakeTinybird } from "./support/fake-tinybird";
import { envFor, makeProject, PIPES } from "./support/project";

let fake: FakeTinybird;
let root: string;
const waits: number[] = [];
const run = (operation: string, extra: Record<string, string> = {}) =>
  runOperation(operation, envFor(fake, extra), {
    root,
    sleep: async (ms) => {
      waits.push(ms);
    },
    pollIntervalMs: 10,
  });

beforeEach(() => {
  root = makeProject(PIPES, { materializations: true });
  waits.length = 0;
});
afterEach(async () => {
  await fake.close();
  rmSync(root, { recursive: true, force: true });
});

describe("Classic, a project with materialized pipes", () => {
  beforeEach(async () => {
    fake = await startFakeTinybird("classic");
  });

  it("creates the landing data source, each rollup, then its materialized pipe, populating it once", async () => {
    const project = loadProject(root);
    const result = await run("create");
    const calls = fake.calls();
    const rollups = project.rollups.map((r) => r.definition.name);
    const views = project.materializations.map((m) => m.definition.name);
    expect(rollups).toContain("clerk_events_users");
    for (const view of views) {
      const target = pipeCreateBody(
        project.materializations.find((m) => m.definition.name === view)!.definition,
      ).nodes.find((n) => n.type === "materialized")!.datasource!;
      expect(calls.indexOf(`GET /v0/datasources/${target}`)).toBeLessThan(
        calls.indexOf(`GET /v0/pipes/${view}`),
      );
      expect(calls).toContain(`GET /v0/jobs/job_${view}`);
    }
    const creations = fake.requests.filter((r) => r.method === "POST" && r.path === "/v0/pipes");
    const populated = creations
      .filter((r) => r.query.get("populate") === "true")
      .map((r) => JSON.parse(r.text));
    expect(populated).toEqual(project.materializations.map((m) => pipeCreateBody(m.definition)));
    expect(populated[0].nodes.at(-1)).toMatchObject({ type: "materialized", datasource: expect.any(String) });
    const rollupForm = fake.requests.find(
      (r) => r.path === "/v0/datasources" && new URLSearchParams(r.text).get("name") === "clerk_events_users",
    )!;
    expect(new URLSearchParams(rollupForm.text).get("engine")).toBe("AggregatingMergeTree");
    expect(new URLSearchParams(rollupForm.text).has("format")).toBe(false);
    expect(result).toMatchObject({ materializations: views, rollups });

    fake.requests.length = 0;
    await run("update", { PULUMI_COMMAND_STDOUT: JSON.stringify(result) });
    const again = fake.requests.filter((r) => r.method === "POST");
    expect(again.filter((r) => r.query.get("populate") === "true")).toEqual([]);
    expect(again.filter((r) => r.path === "/v0/datasources")).toEqual([]);
  });

  it("keeps the data on destroy; deleting it removes endpoints, views, rollups, then the landing data source", async () => {
    const project = loadProject(root);
    const result = await run("create");
    await run("delete", { PULUMI_COMMAND_STDOUT: JSON.stringify(result) });
    // Everything stays: the landing data source and each rollup, the two endpoints and each view.
    expect(fake.datasources.size).toBe(1 + project.rollups.length);
    expect(fake.pipes.size).toBe(2 + project.materializations.length);
    expect(project.rollups.length).toBeGreaterThanOrEqual(5);

    const again = await run("create");
    fake.requests.length = 0;
    await run("delete", {
      PULUMI_COMMAND_STDOUT: JSON.stringify(again),
      TINYBIRD_DELETE_DATA_ON_DESTROY: "true",
    });
    const deletions = fake
      .calls()
      .filter((c) => c.startsWith("DELETE /v0/pipes") || c.startsWith("DELETE /v0/datasources"));
    expect(deletions.at(-1)).toBe("DELETE /v0/datasources/clerk_events");
    const lastView = Math.max(...deletions.map((c, i) => (c.includes("_mv") ? i : -1)));
    const firstRollup = deletions.findIndex((c) => /datasources\/clerk_events_/.test(c));
    expect(lastView).toBeLessThan(firstRollup);
    expect([fake.datasources.size, fake.pipes.size]).toEqual([0, 0]);
  });
});

describe("Forward, a project with materialized pipes", () => {
  beforeEach(async () => {
    fake = await startFakeTinybird("forward");
  });

  it("deploys every datafile, rollups and materialized pipes included, in one deployment", async () => {
    const result = await run("create");
    const deploy = fake.requests.find((r) => r.method === "POST" && r.path === "/v1/deploy")!;
    const files = await multipartFiles(deploy);
    expect(files.map((f) => f.filename)).toEqual(projectDatafiles(loadProject(root)).map((f) => f.path));
    expect(files.map((f) => f.filename)).toEqual(
      expect.arrayContaining([
        "datasources/clerk_events_users.datasource",
        "materializations/clerk_events_users_mv.pipe",
      ]),
    );
    expect(result).toMatchObject({
      kind: "forward",
      rollups: expect.arrayContaining(["clerk_events_users"]),
    });
  });

  it("renames the rollups and materialized pipes with the data source, so stacks can share a workspace", async () => {
    await run("create", { TINYBIRD_DATASOURCE: "auth_events" });
    const deploy = fake.requests.find((r) => r.method === "POST" && r.path === "/v1/deploy")!;
    const files = await multipartFiles(deploy);
    expect(files.map((f) => f.filename)).toEqual(
      expect.arrayContaining([
        "datasources/auth_events_users.datasource",
        "materializations/auth_events_users_mv.pipe",
      ]),
    );
    expect(files.filter((f) => /\bclerk_events/.test(f.text)).map((f) => f.filename)).toEqual([]);
  });
});
