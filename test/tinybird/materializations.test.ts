/**
 * Provisioning the committed project with its rollups and materialized pipes: every datafile in one
 * Forward deployment, renamed together with the data source.
 */
import { rmSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
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
    progress: () => {},
  });

beforeEach(() => {
  root = makeProject(PIPES, { materializations: true });
  waits.length = 0;
});
afterEach(async () => {
  await fake.close();
  rmSync(root, { recursive: true, force: true });
});

describe("Forward, a project with materialized pipes", () => {
  beforeEach(async () => {
    fake = await startFakeTinybird();
  });

  it("deploys every datafile, rollups and materialized pipes included, in one deployment", async () => {
    const result = await run("create");
    const deploy = fake.requests.find(
      (r) => r.method === "POST" && r.path === "/v1/deploy" && !r.query.has("check"),
    )!;
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
    const deploy = fake.requests.find(
      (r) => r.method === "POST" && r.path === "/v1/deploy" && !r.query.has("check"),
    )!;
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
