import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ProvisionResult } from "../../infra/provisioning/tinybird/config";
import { runOperation } from "../../infra/provisioning/tinybird/provision";
import { multipartFiles } from "./support/fake-tinybird";
import { envFor, expectTokenOnlyInHeaders, PIPES, useFakeWorkspace } from "./support/project";

const ws = useFakeWorkspace("forward", 50);

const parts = multipartFiles;
const deploys = () => ws.fake.requests.filter((r) => r.method === "POST" && r.path === "/v1/deploy");
const datasourceText = () =>
  readFileSync(join(ws.root, "tinybird/datasources/clerk_events.datasource"), "utf8");

describe("Forward create", () => {
  it("deploys the datafiles, waits for the data, promotes, and reads back the declared tokens", async () => {
    const result = await ws.run("create");
    expect(ws.fake.calls()).toEqual([
      "GET /v1/workspace",
      "GET /v1/deployments",
      "POST /v1/deploy",
      "GET /v1/deployments/1",
      "GET /v1/deployments/1",
      "POST /v1/deployments/1/set-live",
      "GET /v0/tokens/clerk_append",
      "GET /v0/tokens/clerk_read",
    ]);
    const [deploy] = deploys();
    expect(deploy!.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(deploy!.query.has("allow_destructive_operations")).toBe(false);
    expect(await parts(deploy!)).toEqual([
      { field: "data_project://", filename: "datasources/clerk_events.datasource", text: datasourceText() },
      { field: "data_project://", filename: "endpoints/active_users.pipe", text: PIPES["active_users.pipe"] },
      { field: "data_project://", filename: "endpoints/signups.pipe", text: PIPES["signups.pipe"] },
    ]);
    expect(ws.clock.waits).toEqual([50, 50]);
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
  });

  it("renames the data source file and the pipes' references to a configured name", async () => {
    await ws.run("create", { TINYBIRD_DATASOURCE: "auth_events" });
    const files = await parts(deploys()[0]!);
    expect(files.map((f) => f.filename)).toEqual([
      "datasources/auth_events.datasource",
      "endpoints/active_users.pipe",
      "endpoints/signups.pipe",
    ]);
    expect(files[2]!.text).toContain("FROM auth_events\n");
    expect(files[2]!.text).not.toContain("clerk_events");
  });

  it("is a no-op re-run when nothing changed: same tokens, no new deployment", async () => {
    const first = await ws.run("create");
    ws.fake.requests.length = 0;
    const second = await ws.rerun(first);
    expect(ws.fake.calls()).toEqual([
      "GET /v1/workspace",
      "GET /v1/deployments",
      "POST /v1/deploy",
      "GET /v0/tokens/clerk_append",
      "GET /v0/tokens/clerk_read",
    ]);
    expect(second).toEqual(first);
  });

  it("promotes a changed project and removes the deployment it replaces; tokens keep their values", async () => {
    const first = (await ws.run("create")) as ProvisionResult;
    writeFileSync(
      join(ws.root, "tinybird/endpoints/signups.pipe"),
      PIPES["signups.pipe"].replace("signups", "new_users"),
    );
    ws.fake.requests.length = 0;
    const second = await ws.rerun(first);
    expect(ws.fake.calls()).toEqual([
      "GET /v1/workspace",
      "GET /v1/deployments",
      "POST /v1/deploy",
      "GET /v1/deployments/2",
      "GET /v1/deployments/2",
      "POST /v1/deployments/2/set-live",
      "DELETE /v1/deployments/1",
      "GET /v0/tokens/clerk_append",
      "GET /v0/tokens/clerk_read",
    ]);
    expect(second).toEqual(first);
  });

  it("clears a failed deployment left by an earlier run before deploying", async () => {
    await ws.run("create");
    ws.fake.deployments.push({ id: "2", status: "failed", live: false, files: [], pollsLeft: 0 });
    ws.fake.requests.length = 0;
    writeFileSync(join(ws.root, "tinybird/endpoints/extra.pipe"), "NODE n\nSQL >\n    SELECT 1\n");
    await ws.run("update");
    expect(ws.fake.calls().slice(0, 4)).toEqual([
      "GET /v1/workspace",
      "GET /v1/deployments",
      "DELETE /v1/deployments/2",
      "POST /v1/deploy",
    ]);
  });

  it("outputs an empty read token while no pipe declares one", async () => {
    rmSync(join(ws.root, "tinybird/endpoints"), { recursive: true });
    expect(await ws.run("create")).toMatchObject({ readToken: "", readTokenName: "", pipes: [] });
    expect(ws.fake.calls()).not.toContain("GET /v0/tokens/clerk_read");
  });
});

describe("Forward in a workspace holding other resources", () => {
  it("refuses, changing nothing, and explains the two ways forward", async () => {
    ws.fake.datasources.set("page_views", {
      name: "page_views",
      schema: { columns: [] },
      engine: { engine: "MergeTree" },
    });
    const message = await ws.run("create").catch((e: Error) => e.message);
    expect(message).toMatch(
      /Tinybird Forward deploys the whole workspace, .* \(page_views\): deploying would delete them/,
    );
    expect(message).toContain("(1) give these Clerk events a dedicated workspace");
    expect(message).toContain(
      "(2) pulumi config set tinybirdAllowDestructiveOperations true, and Tinybird DELETES",
    );
    expect(message).toContain("destructive operation");
    expect(ws.fake.calls()).not.toContain("POST /v1/deployments/1/set-live");
    expect(ws.fake.datasources.has("page_views")).toBe(true);
  });

  it("deploys with allow_destructive_operations only when the stack allows it", async () => {
    ws.fake.datasources.set("page_views", {
      name: "page_views",
      schema: { columns: [] },
      engine: { engine: "MergeTree" },
    });
    await ws.run("create", { TINYBIRD_ALLOW_DESTRUCTIVE: "true" });
    expect(deploys()[0]!.query.get("allow_destructive_operations")).toBe("true");
    expect([...ws.fake.datasources.keys()]).toEqual(["clerk_events"]);
  });

  it("discards a deployment that would silently remove someone else's pipe", async () => {
    ws.fake.pipes.set("marketing_kpis", "NODE n\nSQL >\n    SELECT 1");
    const message = await ws.run("create").catch((e: Error) => e.message);
    expect(message).toContain("(marketing_kpis)");
    expect(ws.fake.calls()).toEqual([
      "GET /v1/workspace",
      "GET /v1/deployments",
      "POST /v1/deploy",
      "DELETE /v1/deployments/1",
    ]);
    expect(ws.fake.pipes.has("marketing_kpis")).toBe(true);
  });

  it("lets the stack remove its own previous pipes", async () => {
    const first = await ws.run("create");
    rmSync(join(ws.root, "tinybird/endpoints/signups.pipe"));
    const second = await ws.rerun(first);
    expect(second).toMatchObject({ pipes: ["active_users"] });
    expect([...ws.fake.pipes.keys()]).toEqual(["active_users"]);
  });
});

describe("Forward failures", () => {
  it("reports a deployment that fails while it is prepared, naming the datafile", async () => {
    ws.fake.fault("GET", "/v1/deployments/1", {
      status: 200,
      body: {
        deployment: {
          id: "1",
          status: "failed",
          errors: [{ filename: "endpoints/signups.pipe", error: "Missing columns: 'user_idd'" }],
        },
      },
    });
    await expect(ws.run("create")).rejects.toThrow(
      "Tinybird deployment 1 failed: endpoints/signups.pipe: Missing columns: 'user_idd'. Fix: correct the datafiles",
    );
  });

  // Tinybird deletes a failed deployment by itself: `tb deploy` reports the errors of one it finds
  // deleting or deleted ("Deployment failed and is being deleted automatically").
  it("reports a deployment Tinybird deleted after it failed as failed, naming the datafile", async () => {
    ws.fake.fault("GET", "/v1/deployments/1", {
      status: 200,
      body: {
        deployment: {
          id: "1",
          status: "deleting",
          errors: [{ filename: "endpoints/signups.pipe", error: "Missing columns: 'user_idd'" }],
        },
      },
    });
    await expect(ws.run("create")).rejects.toThrow(
      "Tinybird deployment 1 failed: endpoints/signups.pipe: Missing columns: 'user_idd'. Fix: correct the datafiles",
    );
  });

  it("tells a deployment deleted without errors from a failed one: something else deployed", async () => {
    ws.fake.fault("GET", "/v1/deployments/1", {
      status: 200,
      body: { deployment: { id: "1", status: "deleted", errors: [], feedback: [] } },
    });
    await expect(ws.run("create")).rejects.toThrow(
      /Tinybird deployment 1 was deleted before it was ready, and reported no error.*Fix: let one deployment at a time run/,
    );
  });

  it("reports a rejected deployment with Tinybird's feedback", async () => {
    ws.fake.fault("POST", "/v1/deploy", {
      status: 200,
      body: {
        result: "failed",
        deployment: {
          id: "1",
          status: "failed",
          feedback: [{ level: "ERROR", resource: "Pipe signups.pipe", message: "Unknown function countt" }],
        },
      },
    });
    await expect(ws.run("create")).rejects.toThrow(
      "Tinybird rejected the deployment: Pipe signups.pipe: Unknown function countt. Fix: correct the datafiles",
    );
  });

  it("stops polling a deployment that never gets ready", async () => {
    ws.fake.pollsPerDeployment = 1000;
    await expect(
      runOperation("create", envFor(ws.fake), { root: ws.root, sleep: ws.clock.sleep, pollIntervalMs: 1 }),
    ).rejects.toThrow(/deployment 1 was still "calculating" after 450 checks/);
  });

  it("needs the data source to declare its APPEND token", async () => {
    writeFileSync(
      join(ws.root, "tinybird/datasources/clerk_events.datasource"),
      datasourceText().replace(/^TOKEN.*$/m, ""),
    );
    await expect(ws.run("create")).rejects.toThrow(
      /declares no APPEND token: add a line TOKEN "clerk_append" APPEND/,
    );
    expect(deploys()).toHaveLength(0);
  });
});

describe("Forward destroy", () => {
  it("keeping the data, redeploys without the TOKEN lines, which revokes the tokens", async () => {
    const first = await ws.run("create");
    ws.fake.requests.length = 0;
    await ws.rerun(first, "delete");
    const files = await parts(deploys()[0]!);
    expect(files.map((f) => f.filename)).toEqual([
      "datasources/clerk_events.datasource",
      "endpoints/active_users.pipe",
      "endpoints/signups.pipe",
    ]);
    for (const f of files) expect(f.text).not.toMatch(/^TOKEN/m);
    expect(deploys()[0]!.query.has("allow_destructive_operations")).toBe(false);
    expect(ws.fake.tokens.size).toBe(0);
    expect([...ws.fake.datasources.keys()]).toEqual(["clerk_events"]);
  });

  it("deleting the data, revokes the tokens and fails with the steps: no source shows an empty deploy accepted", async () => {
    const first = await ws.run("create");
    ws.fake.requests.length = 0;
    const failed = ws.rerun(first, "delete", { TINYBIRD_DELETE_DATA_ON_DESTROY: "true" });
    await expect(failed).rejects.toThrow(
      /tokens are revoked, but the data source "clerk_events".*kept.*tb --cloud deploy --allow-destructive-operations.*pulumi destroy/,
    );
    // Never an empty deployment, never a destructive one.
    expect(deploys()).toHaveLength(1);
    expect(await parts(deploys()[0]!)).not.toEqual([]);
    expect(deploys()[0]!.query.has("allow_destructive_operations")).toBe(false);
    expect(ws.fake.tokens.size).toBe(0);
    expect([...ws.fake.datasources.keys()]).toEqual(["clerk_events"]);

    // Once the operator removed it by hand, destroy finds nothing left and completes.
    ws.fake.datasources.clear();
    await expect(
      ws.rerun(first, "delete", { TINYBIRD_DELETE_DATA_ON_DESTROY: "true" }),
    ).resolves.toBeUndefined();
  });

  // A rename in the same workspace: Pulumi creates the renamed resource (whose deployment replaces
  // clerk_events), then deletes the old one with the old resource's stored environment and output.
  it.each([
    ["as stored", {}],
    ["even when the old stack allowed destructive deployments", { TINYBIRD_ALLOW_DESTRUCTIVE: "true" }],
  ])("leaves alone a data source that replaced its own in the workspace (%s)", async (_, oldEnv) => {
    const old = await ws.run("create", oldEnv);
    const renamed = (await ws.run("create", {
      TINYBIRD_DATASOURCE: "auth_events",
      TINYBIRD_ALLOW_DESTRUCTIVE: "true",
    })) as ProvisionResult;
    ws.fake.requests.length = 0;
    await ws.rerun(old, "delete", oldEnv);
    expect(deploys()).toHaveLength(0);
    expect([...ws.fake.datasources.keys()]).toEqual(["auth_events"]);
    expect(ws.fake.tokens.get("clerk_append")!.token).toBe(renamed.appendToken);
  });
});
