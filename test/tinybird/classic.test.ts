import { rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dataSourceCreateParams, pipeCreateBody } from "../../infra/provisioning/tinybird/classic-params";
import type { ProvisionResult } from "../../infra/provisioning/tinybird/config";
import { runOperation } from "../../infra/provisioning/tinybird/provision";
import { loadProject } from "../../tinybird-model/project";
import { ADMIN_TOKEN } from "./support/fake-tinybird";
import { envFor, expectTokenOnlyInHeaders, useFakeWorkspace } from "./support/project";

const ws = useFakeWorkspace("classic");

const requestsTo = (method: string, path: string) =>
  ws.fake.requests.filter((r) => r.method === method && r.path === path);

describe("Classic create on an empty workspace", () => {
  it("creates the data source from the datafile, the pipes, and two scoped tokens", async () => {
    const result = await ws.run("create");

    expect(ws.fake.calls()).toEqual([
      "GET /v1/workspace",
      "GET /v0/datasources/clerk_events",
      "POST /v0/datasources",
      "POST /v0/pipes?force=true",
      "POST /v0/pipes?force=true",
      "GET /v0/tokens/clerk_events_append",
      "POST /v0/tokens/",
      "GET /v0/tokens/clerk_events_read",
      "POST /v0/tokens/",
    ]);
    const project = loadProject(ws.root);
    const [create] = requestsTo("POST", "/v0/datasources");
    expect(create!.headers["content-type"]).toMatch(/^application\/x-www-form-urlencoded/);
    expect(new URLSearchParams(create!.text).toString()).toBe(
      dataSourceCreateParams(project.dataSource.definition).toString(),
    );
    const pipes = requestsTo("POST", "/v0/pipes");
    expect(pipes.map((p) => p.headers["content-type"])).toEqual(["application/json", "application/json"]);
    expect(pipes.map((p) => JSON.parse(p.text))).toEqual(
      project.pipes.map((p) => pipeCreateBody(p.definition)),
    );

    const tokenForms = requestsTo("POST", "/v0/tokens/").map((r) => new URLSearchParams(r.text));
    expect(tokenForms.map((f) => [f.get("name"), f.getAll("scope")])).toEqual([
      ["clerk_events_append", ["DATASOURCES:APPEND:clerk_events"]],
      ["clerk_events_read", ["PIPES:READ:active_users", "PIPES:READ:signups"]],
    ]);
    expect(tokenForms[0]!.get("description")).toMatch(/Managed by Pulumi; revoked by pulumi destroy/);
    expectTokenOnlyInHeaders(ws.fake.requests);

    expect(result).toEqual({
      kind: "classic",
      dataSource: "clerk_events",
      appendToken: ws.fake.tokens.get("clerk_events_append")!.token,
      readToken: ws.fake.tokens.get("clerk_events_read")!.token,
      appendTokenName: "clerk_events_append",
      readTokenName: "clerk_events_read",
      pipes: ["active_users", "signups"],
    });
  });

  it("deploys a configured name everywhere: data source, pipes' SQL, token names and scopes", async () => {
    const result = await ws.run("create", { TINYBIRD_DATASOURCE: "auth_events" });
    expect(new URLSearchParams(requestsTo("POST", "/v0/datasources")[0]!.text).get("name")).toBe(
      "auth_events",
    );
    const sql = requestsTo("POST", "/v0/pipes").flatMap((p) =>
      JSON.parse(p.text).nodes.map((n: any) => n.sql),
    );
    expect(sql.join("\n")).toContain("FROM auth_events");
    expect(sql.join("\n")).not.toContain("clerk_events");
    expect(ws.fake.tokens.get("auth_events_append")!.scopes).toEqual([
      { type: "DATASOURCES:APPEND", resource: "auth_events" },
    ]);
    expect(result).toMatchObject({ dataSource: "auth_events", appendTokenName: "auth_events_append" });
  });

  it("reads the datafiles from TINYBIRD_PROJECT_DIR when it is set", async () => {
    rmSync(join(ws.root, "tinybird/endpoints/signups.pipe"));
    const result = await runOperation("create", envFor(ws.fake, { TINYBIRD_PROJECT_DIR: ws.root }), {
      sleep: ws.clock.sleep,
    });
    expect(result).toMatchObject({ pipes: ["active_users"] });
  });

  it("outputs an empty read token while the project has no pipes", async () => {
    rmSync(join(ws.root, "tinybird/endpoints"), { recursive: true });
    const result = await ws.run("create");
    expect(result).toMatchObject({ readToken: "", readTokenName: "", pipes: [] });
    expect(ws.fake.calls()).not.toContain("POST /v0/pipes?force=true");
    expect([...ws.fake.tokens.keys()]).toEqual(["clerk_events_append"]);
  });
});

describe("Classic re-runs", () => {
  it("adopt what exists and matches: no creation, the same token values", async () => {
    const first = await ws.run("create");
    ws.fake.requests.length = 0;
    const second = await ws.rerun(first);
    expect(ws.fake.calls()).toEqual([
      "GET /v1/workspace",
      "GET /v0/datasources/clerk_events",
      "POST /v0/pipes?force=true",
      "POST /v0/pipes?force=true",
      "GET /v0/tokens/clerk_events_append",
      "GET /v0/tokens/clerk_events_read",
    ]);
    expect(second).toEqual(first);
  });

  it("remove a pipe the project dropped and narrow the read token, keeping its value", async () => {
    const first = (await ws.run("create")) as ProvisionResult;
    rmSync(join(ws.root, "tinybird/endpoints/signups.pipe"));
    ws.fake.requests.length = 0;
    const second = await ws.rerun(first);
    expect(ws.fake.calls()).toContain("DELETE /v0/pipes/signups");
    const [put] = requestsTo("PUT", "/v0/tokens/clerk_events_read");
    expect(new URLSearchParams(put!.text).getAll("scope")).toEqual(["PIPES:READ:active_users"]);
    expect(second).toMatchObject({ pipes: ["active_users"], readToken: first.readToken });
    expect([...ws.fake.pipes.keys()]).toEqual(["active_users"]);
  });

  it("refuse an existing data source with another schema, showing each difference and changing nothing", async () => {
    const columns = [
      { name: "event_id", type: "String", jsonpath: "$.event_id", default_value: null, nullable: false },
      { name: "event_type", type: "String", jsonpath: "$.type", default_value: null, nullable: false },
      { name: "event_time", type: "DateTime", jsonpath: "$.time", default_value: null, nullable: false },
      { name: "legacy", type: "String", jsonpath: "$.legacy", default_value: null, nullable: false },
    ];
    ws.fake.datasources.set("clerk_events", {
      name: "clerk_events",
      schema: { columns },
      engine: { engine: "MergeTree", sorting_key: "event_time" },
    });
    const failure = ws.run("create");
    await expect(failure).rejects.toThrow(
      /data source "clerk_events" already exists in the workspace with a different schema, and nothing was changed/,
    );
    const message = (await failure.catch((e: Error) => e.message)) as string;
    expect(message).toContain(
      "column event_type: type LowCardinality(String) in the datafile, String in the workspace",
    );
    expect(message).toContain(
      "column event_time: jsonpath $.event_time in the datafile, $.time in the workspace",
    );
    expect(message).toContain("column received_at: in the datafile, missing in the workspace");
    expect(message).toContain("column legacy: in the workspace, not in the datafile");
    expect(message).toContain(
      'ENGINE_SORTING_KEY: "event_type, event_time, event_id" in the datafile, "event_time" in the workspace',
    );
    expect(message).toContain("pulumi config set tinybirdDataSource");
    expect(ws.fake.requests.filter((r) => r.method !== "GET")).toEqual([]);
  });

  it("adopt a data source a retried creation already made", async () => {
    await ws.run("create");
    ws.fake.tokens.clear();
    ws.fake.fault("GET", "/v0/datasources/clerk_events", { status: 404, body: { error: "does not exist" } });
    ws.fake.requests.length = 0;
    await ws.run("create");
    expect(ws.fake.calls().slice(0, 4)).toEqual([
      "GET /v1/workspace",
      "GET /v0/datasources/clerk_events",
      "POST /v0/datasources",
      "GET /v0/datasources/clerk_events",
    ]);
  });
});

describe("Classic failures", () => {
  it("retry 429 and 5xx, waiting what Retry-After asks, then succeed", async () => {
    ws.fake.fault("POST", "/v0/datasources", {
      status: 429,
      headers: { "retry-after": "3" },
      body: { error: "Too many requests" },
    });
    ws.fake.fault("POST", "/v0/pipes", { status: 503, body: "upstream unavailable" });
    ws.fake.fault("GET", "/v0/tokens/clerk_events_append", (res) => res.socket?.destroy());
    const result = await ws.run("create");
    expect(result).toMatchObject({ kind: "classic" });
    expect(ws.clock.waits[0]).toBe(3000);
    expect(ws.clock.waits).toHaveLength(3);
    expect(requestsTo("POST", "/v0/datasources")).toHaveLength(2);
  });

  it("give up after five tries with the status, Tinybird's text and the fix", async () => {
    for (let i = 0; i < 5; i++)
      ws.fake.fault("POST", "/v0/datasources", { status: 500, body: { error: "Internal error" } });
    await expect(ws.run("create")).rejects.toThrow(
      "Tinybird answered 500 to POST /v0/datasources: Internal error. Fix: Tinybird failed or was unavailable through every retry",
    );
    expect(ws.clock.waits).toHaveLength(4);
  });

  it("name the scope an under-privileged token lacks", async () => {
    ws.fake.fault("POST", "/v0/datasources", {
      status: 403,
      body: { error: "Not enough permissions to create a Data Source" },
    });
    await expect(ws.run("create")).rejects.toThrow(
      "Tinybird answered 403 to POST /v0/datasources: Not enough permissions to create a Data Source. " +
        "Fix: the admin token lacks the scope for this call (DATASOURCES:CREATE): use the workspace admin token",
    );
  });

  it("point a 404 at the host setting", async () => {
    ws.fake.fault("POST", "/v0/datasources", { status: 404, body: { error: "Not found" } });
    await expect(ws.run("create")).rejects.toThrow(
      `Tinybird answered 404 to POST /v0/datasources: Not found. Fix: nothing answers this path on ${ws.fake.url}: check tinybirdHost`,
    );
  });

  it("point at the token and the region host when the token is refused", async () => {
    const failure = runOperation(
      "create",
      { TINYBIRD_HOST: ws.fake.url, TINYBIRD_ADMIN_TOKEN: "p.from-another-region-xyz" },
      { root: ws.root, sleep: ws.clock.sleep },
    );
    await expect(failure).rejects.toThrow(
      /Tinybird answered 403 to GET \/v0\/datasources\/clerk_events: Invalid token/,
    );
    await expect(failure).rejects.toThrow(/tinybirdAdminToken.*tinybirdHost.*its own region's API host/);
  });

  it("show Tinybird's own words on a bad request, and never a token it echoes", async () => {
    ws.fake.fault("POST", "/v0/datasources", {
      status: 400,
      body: { error: `Invalid data type 'Strin' (request by ${ADMIN_TOKEN})` },
    });
    const message = await ws.run("create").catch((e: Error) => e.message);
    expect(message).toContain(
      "Tinybird answered 400 to POST /v0/datasources: Invalid data type 'Strin' (request by [redacted])",
    );
    expect(message).not.toContain(ADMIN_TOKEN);
  });

  it("tell a Forward workspace when told it is Classic", async () => {
    await ws.use("forward");
    await expect(ws.run("create", { TINYBIRD_WORKSPACE_KIND: "classic" })).rejects.toThrow(
      /403 to POST \/v0\/datasources: .*only be done via deployments\. Fix: this is a Tinybird Forward workspace.*tinybirdWorkspaceKind to "forward"/,
    );
  });

  it("stays Classic when /v1/deployments answers an empty list: Forward is told by /v1/workspace, as Tinybird's CLI does", async () => {
    ws.fake.fault("GET", "/v1/deployments", { status: 200, body: { deployments: [] } });
    const result = await ws.run("create");
    expect(result).toMatchObject({ kind: "classic" });
    expect(ws.fake.calls()).not.toContain("POST /v1/deploy");
  });

  it("switch to a deployment when auto-detection guessed Classic and creation says deployments only", async () => {
    await ws.use("forward");
    ws.fake.fault("GET", "/v1/workspace", { status: 404, body: { error: "Not found" } });
    const result = await ws.run("create");
    expect(result).toMatchObject({ kind: "forward", appendTokenName: "clerk_append" });
    expect(ws.fake.calls()).toContain("POST /v1/deploy");
  });
});

describe("Classic destroy", () => {
  it("revokes the tokens and keeps the data by default", async () => {
    const first = await ws.run("create");
    ws.fake.requests.length = 0;
    await expect(ws.run("delete", { PULUMI_COMMAND_STDOUT: JSON.stringify(first) })).resolves.toBeUndefined();
    expect(ws.fake.calls()).toEqual([
      "DELETE /v0/tokens/clerk_events_append",
      "DELETE /v0/tokens/clerk_events_read",
    ]);
    expect(ws.fake.tokens.size).toBe(0);
    expect([...ws.fake.datasources.keys()]).toEqual(["clerk_events"]);
    expect(ws.fake.pipes.size).toBe(2);
  });

  it("deletes pipes and data source when asked, and a second destroy finds nothing to complain about", async () => {
    const first = await ws.run("create");
    const env = { PULUMI_COMMAND_STDOUT: JSON.stringify(first), TINYBIRD_DELETE_DATA_ON_DESTROY: "true" };
    ws.fake.requests.length = 0;
    await ws.run("delete", env);
    expect(ws.fake.calls()).toEqual([
      "DELETE /v0/tokens/clerk_events_append",
      "DELETE /v0/tokens/clerk_events_read",
      "GET /v0/pipes/active_users",
      "DELETE /v0/pipes/active_users",
      "GET /v0/pipes/signups",
      "DELETE /v0/pipes/signups",
      "DELETE /v0/datasources/clerk_events",
    ]);
    expect([ws.fake.datasources.size, ws.fake.pipes.size, ws.fake.tokens.size]).toEqual([0, 0, 0]);
    await expect(ws.run("delete", env)).resolves.toBeUndefined();
  });

  it("deleting the data after a rename, keeps the pipes the renamed stack has published since", async () => {
    const old = await ws.run("create");
    await ws.run("create", { TINYBIRD_DATASOURCE: "auth_events" });
    await ws.run("delete", {
      PULUMI_COMMAND_STDOUT: JSON.stringify(old),
      TINYBIRD_DELETE_DATA_ON_DESTROY: "true",
    });
    expect([...ws.fake.datasources.keys()]).toEqual(["auth_events"]);
    expect([...ws.fake.pipes.keys()].sort()).toEqual(["active_users", "signups"]);
    expect([...ws.fake.tokens.keys()].sort()).toEqual(["auth_events_append", "auth_events_read"]);
  });

  it("derives what to revoke from the datafiles when no previous output was kept", async () => {
    await ws.run("create");
    ws.fake.requests.length = 0;
    await ws.run("delete");
    expect(ws.fake.calls()).toEqual([
      "GET /v1/workspace",
      "DELETE /v0/tokens/clerk_events_append",
      "DELETE /v0/tokens/clerk_events_read",
    ]);
  });

  it("explains a data source others depend on (409)", async () => {
    const first = await ws.run("create");
    ws.fake.fault("DELETE", "/v0/datasources/clerk_events", {
      status: 409,
      body: { error: "The Data Source is used in materialized view mv_daily" },
    });
    await expect(
      ws.run("delete", {
        PULUMI_COMMAND_STDOUT: JSON.stringify(first),
        TINYBIRD_DELETE_DATA_ON_DESTROY: "true",
      }),
    ).rejects.toThrow(
      /409 to deleting data source "clerk_events": The Data Source is used in materialized view mv_daily\. Fix: something outside this stack depends on it/,
    );
  });
});
