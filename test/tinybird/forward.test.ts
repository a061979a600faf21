/**
 * The provisioning on the Forward stand-in, without data: what it sends, how it waits, and how it
 * converges on what earlier runs (or anyone else) left in the workspace. Schema changes over stored
 * rows, the migrated Classic workspace and the rollups run on chDB in forward-data.test.ts.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ProvisionResult } from "../../infra/provisioning/tinybird/config";
import { loadProject, projectDatafiles } from "../../tinybird-model/project";
import { ADMIN_TOKEN, multipartFiles } from "./support/fake-tinybird";
import {
  expectTokenOnlyInHeaders,
  makeProject,
  PIPES,
  removeProject,
  useFakeWorkspace,
} from "./support/project";

const ws = useFakeWorkspace({ pollIntervalMs: 5_000 });

const deploys = () => ws.fake.requests.filter((r) => r.method === "POST" && r.path === "/v1/deploy");
const created = () => deploys().filter((r) => r.query.get("check") !== "true");
const datasourceText = () =>
  readFileSync(join(ws.root, "tinybird/datasources/clerk_events.datasource"), "utf8");
const editPipe = (from: string, to: string) =>
  writeFileSync(join(ws.root, "tinybird/endpoints/signups.pipe"), PIPES["signups.pipe"].replace(from, to));
/** Another client (a teammate's `tb deploy`, `tb deployment …`) calls the workspace with the project as it is now. */
async function anotherClient(call: string): Promise<void> {
  const [method, path] = call.split(" ");
  const form = new FormData();
  for (const f of projectDatafiles(loadProject(ws.root)))
    form.append("data_project://", new Blob([f.text]), f.path);
  await fetch(`${ws.fake.url}${path}`, {
    method,
    ...(path!.startsWith("/v1/deploy?") || path === "/v1/deploy" ? { body: form } : {}),
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
}

describe("Forward create", () => {
  it("checks the datafiles, deploys them to promote themselves, waits until live and reads back the declared tokens", async () => {
    const result = await ws.run("create");
    expect(ws.fake.calls()).toEqual([
      "GET /v1/workspace",
      "GET /v0/tokens/clerk_events_append",
      "GET /v0/tokens/clerk_events_read",
      "GET /v1/deployments",
      "POST /v1/deploy?check=true",
      "POST /v1/deploy?auto_promote=true",
      "GET /v1/deployments/1",
      "GET /v1/deployments/1",
      "GET /v1/deployments/1",
      "GET /v1/deployments/1",
      "GET /v0/tokens/clerk_append",
      "GET /v0/tokens/clerk_read",
    ]);
    const [check, deploy] = deploys();
    expect(deploy!.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(deploy!.query.has("allow_destructive_operations")).toBe(false);
    const sent = [
      { field: "data_project://", filename: "datasources/clerk_events.datasource", text: datasourceText() },
      { field: "data_project://", filename: "endpoints/active_users.pipe", text: PIPES["active_users.pipe"] },
      { field: "data_project://", filename: "endpoints/signups.pipe", text: PIPES["signups.pipe"] },
    ];
    expect(await multipartFiles(check!)).toEqual(sent);
    expect(await multipartFiles(deploy!)).toEqual(sent);
    expect(ws.clock.waits).toEqual([5_000, 5_000, 5_000, 5_000]);
    expectTokenOnlyInHeaders(ws.fake.requests);
    expect(result).toEqual({
      kind: "forward",
      dataSource: "clerk_events",
      appendToken: ws.fake.tokens.get("clerk_append")!.token,
      readToken: ws.fake.tokens.get("clerk_read")!.token,
      appendTokenName: "clerk_append",
      readTokenName: "clerk_read",
      pipes: ["active_users", "signups"],
    });
    expect(ws.fake.tokens.get("clerk_append")!.scopes).toEqual([
      { type: "DATASOURCES:APPEND", resource: "clerk_events" },
    ]);
    expect(ws.progress).toEqual([
      "Tinybird deployment 1 created: new data sources: clerk_events; new pipes: active_users, signups",
      "waiting for Tinybird deployment 1 (this run's): calculating, 0s elapsed",
      "waiting for Tinybird deployment 1 (this run's): creating_schema, 5s elapsed",
      "waiting for Tinybird deployment 1 (this run's): schema_ready, 10s elapsed",
      "waiting for Tinybird deployment 1 (this run's): data_ready, 15s elapsed",
      "Tinybird deployment 1 (this run's) is live, after 20s",
    ]);
  });

  it("renames the data source file and the pipes' references to a configured name", async () => {
    await ws.run("create", { TINYBIRD_DATASOURCE: "auth_events" });
    const files = await multipartFiles(created()[0]!);
    expect(files.map((f) => f.filename)).toEqual([
      "datasources/auth_events.datasource",
      "endpoints/active_users.pipe",
      "endpoints/signups.pipe",
    ]);
    expect(files[2]!.text).toContain("FROM auth_events\n");
    expect(files[2]!.text).not.toContain("clerk_events");
  });

  it("is a no-op re-run when nothing changed: Tinybird's check says so, no deployment, same tokens", async () => {
    const first = await ws.run("create");
    ws.fake.requests.length = 0;
    const second = await ws.rerun(first);
    expect(created()).toHaveLength(0);
    expect(ws.fake.calls()).toContain("POST /v1/deploy?check=true");
    expect(second).toEqual(first);
  });

  it("deploys a changed project once; the replaced deployment is Tinybird's to remove; tokens keep their values", async () => {
    const first = (await ws.run("create")) as ProvisionResult;
    editPipe("signups", "new_users");
    const second = await ws.rerun(first);
    expect(second).toEqual(first);
    expect(created()).toHaveLength(2);
    expect(ws.fake.deployments.map((d) => [d.id, d.status])).toEqual([
      ["1", "deleted"],
      ["2", "live"],
    ]);
    expect(ws.fake.calls()).not.toContain("DELETE /v1/deployments/1");
  });

  it("deploys a team's own datafiles beside ours and outputs our read token, not theirs", async () => {
    mkdirSync(join(ws.root, "tinybird/pipes"), { recursive: true });
    writeFileSync(
      join(ws.root, "tinybird/pipes/marketing.pipe"),
      "TOKEN marketing_read READ\n\nNODE n\nSQL >\n    SELECT count() AS signups FROM clerk_events\n\nTYPE endpoint\n",
    );
    const result = await ws.run("create");
    expect((await multipartFiles(created()[0]!)).map((f) => f.filename)).toContain("pipes/marketing.pipe");
    expect(result).toMatchObject({
      readTokenName: "clerk_read",
      readToken: ws.fake.tokens.get("clerk_read")!.token,
    });
    expect(ws.fake.tokens.get("marketing_read")!.scopes).toEqual([
      { type: "PIPES:READ", resource: "marketing" },
    ]);
  });

  it("outputs an empty read token while no pipe declares one", async () => {
    rmSync(join(ws.root, "tinybird/endpoints"), { recursive: true });
    expect(await ws.run("create")).toMatchObject({ readToken: "", readTokenName: "", pipes: [] });
    expect(ws.fake.calls()).not.toContain("GET /v0/tokens/clerk_read");
  });

  it("needs the data source to declare its APPEND token", async () => {
    writeFileSync(
      join(ws.root, "tinybird/datasources/clerk_events.datasource"),
      datasourceText().replace(/^TOKEN.*$/m, ""),
    );
    await expect(ws.run("create")).rejects.toThrow(
      /declares no APPEND token: add a line TOKEN clerk_append APPEND/,
    );
    expect(deploys()).toHaveLength(0);
  });
});

describe("a workspace that is not Forward", () => {
  it("is refused with one message naming Tinybird's migration and what to do, before anything else", async () => {
    await ws.use({ kind: "classic" });
    const message = await ws.run("create").catch((e: Error) => e.message);
    expect(message).toMatch(
      /^This Tinybird workspace is not a Tinybird Forward workspace \(it does not answer GET \/v1\/workspace\)/,
    );
    expect(message).toContain(
      "Tinybird retired Classic (the migration's last grace period ended on 2026-10-16)",
    );
    expect(message).toContain("tb migrate-to-forward");
    expect(message).toContain("adopts the migrated workspace, keeping its data and its token values");
    expect(message).toContain("pulumi config set tinybirdHost");
    expect(ws.fake.calls()).toEqual(["GET /v1/workspace"]);
    // Destroy says the same, and changes nothing either.
    await expect(ws.run("delete")).rejects.toThrow(/not a Tinybird Forward workspace/);
  });
});

describe("deployments that outlive a run", () => {
  // The committed rollups and their views: a first deployment populates them from the stored rows.
  beforeEach(() => {
    removeProject(ws.root);
    ws.root = makeProject(PIPES, { materializations: true });
  });

  it("waits for the deployment an interrupted run left populating and promotes nothing twice: one deployment", async () => {
    ws.fake.populateSteps = 40;
    // The first run gives up after 1 minute; its deployment goes on in Tinybird.
    const failed = await ws
      .run("create", { TINYBIRD_DEPLOYMENT_WAIT_MINUTES: "1" })
      .catch((e: Error) => e.message);
    expect(failed).toMatch(
      /Tinybird deployment 1 \(this run's\) is still "schema_ready" after 1m 00s of waiting \(tinybirdDeploymentWaitMinutes\)\. It goes on in Tinybird, which promotes it once its data is ready, and the next pulumi up picks it up/,
    );
    expect(ws.fake.deployments[0]!.status).toBe("schema_ready");
    ws.fake.advance(5);
    ws.progress.length = 0;
    const result = await ws.run("create");
    expect(created()).toHaveLength(1);
    expect(ws.fake.deployments).toHaveLength(1);
    expect(ws.fake.deployments[0]!.status).toBe("live");
    expect(ws.progress[0]).toMatch(
      /Tinybird deployment 1 is already schema_ready \(an earlier pulumi up, or tb deploy\): waiting for it and promoting it, so its work is not redone/,
    );
    expect(ws.progress).toContain("Tinybird: the workspace already runs these datafiles");
    expect(result).toMatchObject({ appendToken: ws.fake.tokens.get("clerk_append")!.token });
  });

  it("prints the status and elapsed time at every change and at least once a minute while it waits", async () => {
    ws.fake.populateSteps = 30;
    await ws.run("create");
    const waiting = ws.progress.filter((l) => l.startsWith("waiting for Tinybird deployment 1"));
    expect(waiting[0]).toBe("waiting for Tinybird deployment 1 (this run's): calculating, 0s elapsed");
    expect(waiting).toContain("waiting for Tinybird deployment 1 (this run's): schema_ready, 10s elapsed");
    expect(waiting).toContain("waiting for Tinybird deployment 1 (this run's): schema_ready, 1m 10s elapsed");
    expect(waiting).toContain("waiting for Tinybird deployment 1 (this run's): schema_ready, 2m 10s elapsed");
  });

  it("a second run while the first still populates waits for the same deployment; both end with it live", async () => {
    ws.fake.populateSteps = 40;
    const first = ws.run("create", { TINYBIRD_DEPLOYMENT_WAIT_MINUTES: "1" }).catch((e: Error) => e);
    await vi.waitFor(() => expect(ws.fake.deployments).toHaveLength(1));
    const second = await ws.run("create");
    expect(await first).toBeInstanceOf(Error);
    expect(created()).toHaveLength(1);
    expect(ws.fake.deployments.map((d) => d.status)).toEqual(["live"]);
    expect(second).toMatchObject({ appendTokenName: "clerk_append" });
  });

  it("an earlier deployment of other datafiles finishes and goes live first, then the newest datafiles deploy on top", async () => {
    ws.fake.populateSteps = 40;
    await ws.run("create", { TINYBIRD_DEPLOYMENT_WAIT_MINUTES: "1" }).catch(() => undefined);
    editPipe("count()", "uniq(user_id)");
    await ws.run("update");
    expect(created()).toHaveLength(2);
    expect(ws.fake.deployments.map((d) => [d.id, d.status])).toEqual([
      ["1", "deleted"],
      ["2", "live"],
    ]);
    const live = await multipartFiles(created()[1]!);
    expect(live.find((f) => f.filename === "endpoints/signups.pipe")!.text).toContain("uniq(user_id)");
  });

  it("promotes an earlier deployment left data_ready without promoting itself, and removes the one it replaced", async () => {
    await ws.run("create");
    editPipe("count()", "uniq(user_id)");
    // `tb deployment create --wait` without --auto: a staging deployment of the new datafiles, left ready.
    await anotherClient("POST /v1/deploy");
    ws.fake.advance(10);
    expect(ws.fake.deployments.map((d) => d.status)).toEqual(["live", "data_ready"]);
    ws.fake.requests.length = 0;
    await ws.run("update");
    expect(ws.fake.calls()).toContain("POST /v1/deployments/2/set-live");
    expect(ws.fake.calls()).toContain("DELETE /v1/deployments/1");
    expect(created()).toHaveLength(0);
    expect(ws.fake.deployments.map((d) => [d.id, d.status])).toEqual([
      ["1", "deleted"],
      ["2", "live"],
    ]);
  });

  it("discards a failed deployment left behind, reporting its errors, then deploys", async () => {
    await ws.run("create");
    ws.fake.failNext([
      { filename: "endpoints/signups.pipe", error: "Memory limit exceeded while populating" },
    ]);
    editPipe("count()", "uniq(user_id)");
    const failed = await ws.run("update").catch((e: Error) => e.message);
    expect(failed).toMatch(
      /^Tinybird deployment 2 \(this run's\) failed: endpoints\/signups\.pipe: Memory limit exceeded while populating\. Fix: correct the datafiles/,
    );
    // Stopped before Tinybird discarded it: the next run finds it failed, says so, and moves on.
    ws.progress.length = 0;
    Object.assign(ws.fake.deployments.find((d) => d.id === "2")!, { status: "failed", stepsLeft: 100 });
    await ws.run("update");
    expect(ws.progress[0]).toBe(
      "Tinybird deployment 2 failed earlier (endpoints/signups.pipe: Memory limit exceeded while populating): discarding it",
    );
    expect(ws.fake.calls()).toContain("DELETE /v1/deployments/2");
    expect(ws.fake.deployments.map((d) => d.status).at(-1)).toBe("live");
  });

  it("reports a deployment someone discarded while it waited", async () => {
    ws.fake.populateSteps = 20;
    ws.fake.fault("GET", "/v1/deployments/1", {
      status: 200,
      body: { deployment: { id: "1", status: "deleted", errors: [], feedback: [] } },
    });
    await expect(ws.run("create")).rejects.toThrow(
      /Tinybird deployment 1 \(this run's\) was deleted before it went live, and reported no error: someone discarded it/,
    );
  });
});

describe("what other clients leave in the workspace", () => {
  // Each begins with deployment 1 live, then a teammate deploys the changed pipe as 2 with tb.
  beforeEach(async () => {
    await ws.run("create");
    editPipe("count()", "uniq(user_id)");
    ws.progress.length = 0;
    ws.clock.reset();
  });
  const states = () => ws.fake.deployments.map((d) => [d.id, d.status]);

  it("waits while Tinybird is still removing the deployment a promotion replaced, deleting nothing itself", async () => {
    ws.fake.deleteSteps = 8;
    await anotherClient("POST /v1/deploy?auto_promote=true");
    ws.fake.advance(4);
    expect(states()).toEqual([
      ["1", "deleting"],
      ["2", "live"],
    ]);
    ws.fake.requests.length = 0;
    await ws.run("update");
    const deployments = ws.fake.calls().filter((c) => c.includes("/v1/deploy"));
    expect(deployments).toEqual([
      "GET /v1/deployments",
      "GET /v1/deployments/1",
      "GET /v1/deployments/1",
      "GET /v1/deployments/1",
      "GET /v1/deployments/1",
      "GET /v1/deployments",
      "POST /v1/deploy?check=true",
    ]);
    expect(ws.clock.waits).toEqual([5_000, 5_000, 5_000, 5_000]);
    expect(ws.progress).toEqual([
      "waiting for Tinybird to finish removing deployment 1",
      "Tinybird: the workspace already runs these datafiles",
    ]);
    expect(states()).toEqual([
      ["1", "deleted"],
      ["2", "live"],
    ]);
  });

  it("goes back to waiting when another deployment starts between its check and its own, and deploys nothing twice", async () => {
    ws.fake.requests.length = 0;
    ws.fake.beforeNext("POST /v1/deploy?auto_promote=true", () =>
      anotherClient("POST /v1/deploy?auto_promote=true"),
    );
    expect(await ws.run("update")).toMatchObject({ pipes: ["active_users", "signups"] });
    expect(ws.fake.calls().filter((c) => c.startsWith("POST /v1/deploy"))).toEqual([
      "POST /v1/deploy?check=true",
      "POST /v1/deploy?auto_promote=true",
      "POST /v1/deploy?auto_promote=true",
      "POST /v1/deploy?check=true",
    ]);
    expect(ws.progress).toEqual([
      "another Tinybird deployment started meanwhile: waiting for it first",
      "Tinybird deployment 2 is already schema_ready (an earlier pulumi up, or tb deploy): waiting for it and promoting it, so its work is not redone; the datafiles are checked against it next",
      "waiting for Tinybird deployment 2 (started earlier): schema_ready, 5s elapsed",
      "waiting for Tinybird deployment 2 (started earlier): data_ready, 10s elapsed",
      "Tinybird deployment 2 (started earlier) is live, after 15s",
      "Tinybird: the workspace already runs these datafiles",
    ]);
    expect(states()).toEqual([
      ["1", "deleted"],
      ["2", "live"],
    ]);
  });

  it("removes a deployment an interrupted promotion left behind the live one, and never promotes it back", async () => {
    // `tb deployment create` then `tb deployment promote`, stopped after set-live: 1 is left data_ready.
    await anotherClient("POST /v1/deploy");
    ws.fake.advance(5);
    await anotherClient("POST /v1/deployments/2/set-live");
    expect(states()).toEqual([
      ["1", "data_ready"],
      ["2", "live"],
    ]);
    ws.fake.requests.length = 0;
    await ws.run("update");
    expect(ws.fake.calls().filter((c) => c.includes("/v1/deploy"))).toEqual([
      "GET /v1/deployments",
      "DELETE /v1/deployments/1",
      "GET /v1/deployments",
      "POST /v1/deploy?check=true",
    ]);
    expect(ws.progress).toEqual([
      "removing Tinybird deployment 1, replaced by live deployment 2",
      "Tinybird: the workspace already runs these datafiles",
    ]);
    expect(states()).toEqual([
      ["1", "deleted"],
      ["2", "live"],
    ]);
  });
});

describe("Tinybird's check before deploying", () => {
  it("prints Tinybird's warnings and goes on, nothing shaped like a token in them", async () => {
    ws.fake.warnNext("Pipe signups.pipe", "The endpoint scans the whole table");
    ws.fake.warnNext("Pipe active_users.pipe", "Token p.eyJ1IjoicmVhZCJ9.c2VjcmV0 reads it");
    await ws.run("create");
    expect(ws.progress).toContain("Tinybird warns: Pipe signups.pipe: The endpoint scans the whole table");
    expect(ws.progress).toContain("Tinybird warns: Pipe active_users.pipe: Token p.[redacted] reads it");
  });

  it("says a refused admin token is the token's problem, not the datafiles'", async () => {
    ws.fake.fault("POST", "/v1/deploy", { status: 403, body: { error: "Invalid token" } });
    await expect(ws.run("create")).rejects.toThrow(
      /^Tinybird answered 403 to POST \/v1\/deploy: Invalid token\. Fix: the admin token was refused/,
    );
  });

  it("stops on Tinybird's errors, creating nothing", async () => {
    ws.fake.fault("POST", "/v1/deploy", {
      status: 200,
      body: {
        result: "failed",
        deployment: {
          id: "",
          status: "failed",
          feedback: [{ level: "ERROR", resource: "Pipe signups.pipe", message: "Unknown function countt" }],
        },
      },
    });
    await expect(ws.run("create")).rejects.toThrow(
      "Tinybird's check refused these datafiles: Pipe signups.pipe: Unknown function countt. Fix: correct the datafiles named above (tinybird/), then run pulumi up again. Nothing was changed",
    );
    expect(created()).toHaveLength(0);
  });
});

describe("a workspace holding resources tinybird/ does not declare", () => {
  it("refuses, changing nothing, and explains the ways forward", async () => {
    ws.fake.seedLive([
      {
        field: "data_project://",
        filename: "datasources/page_views.datasource",
        text: "SCHEMA >\n    `a` String",
      },
    ]);
    const message = await ws.run("create").catch((e: Error) => e.message);
    expect(message).toMatch(
      /Tinybird Forward deploys the whole workspace, .* \(page_views\): deploying would delete them/,
    );
    expect(message).toContain("(1) give these Clerk events a dedicated workspace");
    expect(message).toContain("add those resources' datafiles to tinybird/");
    expect(message).toContain(
      "(2) pulumi config set tinybirdAllowDestructiveOperations true, and Tinybird DELETES",
    );
    expect(created()).toHaveLength(0);
    expect(ws.fake.datasources()).toEqual(["page_views"]);
  });

  it("refuses a deployment that would silently remove someone else's pipe, before creating it", async () => {
    ws.fake.seedLive([
      { field: "data_project://", filename: "datasources/clerk_events.datasource", text: datasourceText() },
      {
        field: "data_project://",
        filename: "pipes/marketing_kpis.pipe",
        text: "NODE n\nSQL >\n    SELECT 1",
      },
    ]);
    await expect(ws.run("create")).rejects.toThrow(/\(marketing_kpis\)/);
    expect(created()).toHaveLength(0);
    expect(ws.fake.pipes()).toEqual(["marketing_kpis"]);
  });

  it("deploys with allow_destructive_operations only when the stack allows it", async () => {
    ws.fake.seedLive([
      {
        field: "data_project://",
        filename: "datasources/page_views.datasource",
        text: "SCHEMA >\n    `a` String",
      },
    ]);
    await ws.run("create", { TINYBIRD_ALLOW_DESTRUCTIVE: "true" });
    expect(created()[0]!.query.get("allow_destructive_operations")).toBe("true");
    expect(ws.fake.datasources()).toEqual(["clerk_events"]);
  });

  it("lets the stack remove its own previous pipes", async () => {
    const first = await ws.run("create");
    rmSync(join(ws.root, "tinybird/endpoints/signups.pipe"));
    expect(await ws.rerun(first)).toMatchObject({ pipes: ["active_users"] });
    expect(ws.fake.pipes()).toEqual(["active_users"]);
  });
});

describe("Forward destroy", () => {
  it("keeping the data, redeploys without the stack's TOKEN lines, which revokes its tokens", async () => {
    const first = await ws.run("create");
    ws.fake.requests.length = 0;
    await ws.rerun(first, "delete");
    const files = await multipartFiles(created()[0]!);
    expect(files.map((f) => f.filename)).toEqual([
      "datasources/clerk_events.datasource",
      "endpoints/active_users.pipe",
      "endpoints/signups.pipe",
    ]);
    for (const f of files) expect(f.text).not.toMatch(/^TOKEN/m);
    expect(created()[0]!.query.has("allow_destructive_operations")).toBe(false);
    expect(ws.fake.tokens.size).toBe(0);
    expect(ws.fake.datasources()).toEqual(["clerk_events"]);
  });

  it("deleting the data, revokes the tokens and fails with the steps: no source shows an empty deploy accepted", async () => {
    const first = await ws.run("create");
    ws.fake.requests.length = 0;
    await expect(ws.rerun(first, "delete", { TINYBIRD_DELETE_DATA_ON_DESTROY: "true" })).rejects.toThrow(
      /tokens are revoked, but the data source "clerk_events".*kept.*tb --cloud deploy --allow-destructive-operations.*pulumi destroy/,
    );
    expect(created()).toHaveLength(1);
    expect(await multipartFiles(created()[0]!)).not.toEqual([]);
    expect(created()[0]!.query.has("allow_destructive_operations")).toBe(false);
    expect(ws.fake.tokens.size).toBe(0);
    expect(ws.fake.datasources()).toEqual(["clerk_events"]);
  });

  // A rename in the same workspace: Pulumi creates the renamed resource (whose deployment replaces
  // clerk_events), then deletes the old one with the old resource's stored environment and output.
  it("leaves alone a data source that replaced its own in the workspace", async () => {
    const old = await ws.run("create");
    const renamed = (await ws.run("create", {
      TINYBIRD_DATASOURCE: "auth_events",
      TINYBIRD_ALLOW_DESTRUCTIVE: "true",
    })) as ProvisionResult;
    ws.fake.requests.length = 0;
    await ws.rerun(old, "delete");
    expect(created()).toHaveLength(0);
    expect(ws.fake.datasources()).toEqual(["auth_events"]);
    expect(ws.fake.tokens.get("clerk_append")!.token).toBe(renamed.appendToken);
  });
});
