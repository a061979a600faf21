/**
 * Upgrades over a stack that already holds events, on the Forward stand-in backed by chDB: schema
 * changes Tinybird applies in place or through a FORWARD_QUERY, a changed rollup repopulated from
 * the stored rows, a view that does not write its target's types, a workspace Tinybird migrated from
 * Classic, and destroy. Every run is this project's own provisioning, in-process.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Session } from "chdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProvisionResult } from "../../infra/provisioning/tinybird/config";
import { eventRow } from "../../lambda/event-row";
import { generateHistory } from "../../local/synthetic-history";
import { loadProject, projectDatafiles } from "../../tinybird-model/project";
import { multipartFiles } from "./support/fake-tinybird";
import { makeProject, PIPES, REPO_ROOT, removeProject, useFakeWorkspace } from "./support/project";

let session: Session;
beforeAll(() => {
  session = new Session();
});
afterAll(() => {
  if (session?.open) session.cleanup();
});

const ws = useFakeWorkspace({ pollIntervalMs: 5_000, fake: () => ({ session }) });

const FIXTURES = join(REPO_ROOT, "test/fixtures/clerk-events");
const fixtureRows = () =>
  readdirSync(FIXTURES).map((file, i) =>
    eventRow(JSON.parse(readFileSync(join(FIXTURES, file), "utf8")), `msg_${i}`, 1716883205250 + i),
  );
const datasourcePath = () => join(ws.root, "tinybird/datasources/clerk_events.datasource");
const editDatasource = (edit: (text: string) => string) =>
  writeFileSync(datasourcePath(), edit(readFileSync(datasourcePath(), "utf8")));
const created = () =>
  ws.fake.requests.filter((r) => r.method === "POST" && r.path === "/v1/deploy" && !r.query.has("check"));
const columnType = (table: string, column: string) =>
  ws.fake.query<{ type: string }>(
    `SELECT type FROM system.columns WHERE database = currentDatabase() AND table = '${table}' AND name = '${column}'`,
  )[0]?.type;

/** The project with the committed rollups and their views. */
function withRollups(): void {
  removeProject(ws.root);
  ws.root = makeProject(PIPES, { materializations: true });
}

/** A first deployment, then every Clerk fixture event stored through it. */
async function stackWithEvents(): Promise<ProvisionResult> {
  const first = (await ws.run("create")) as ProvisionResult;
  expect(ws.fake.ingest("clerk_events", fixtureRows()).quarantined).toEqual([]);
  return first;
}

describe("schema changes over stored events", () => {
  it("a column added with a default deploys without a FORWARD_QUERY: Tinybird ALTERs, the rows stay", async () => {
    const first = await stackWithEvents();
    const before = ws.fake.count("clerk_events");
    editDatasource((t) =>
      t.replace(
        /^ {4}`record` String `json:\$`$/m,
        () =>
          "    `client_ip` String `json:$.event_attributes.http_request.client_ip` DEFAULT '',\n    `record` String `json:$`",
      ),
    );
    const second = await ws.rerun(first);
    expect(second).toEqual(first);
    expect(ws.fake.count("clerk_events")).toBe(before);
    expect(columnType("clerk_events", "client_ip")).toBe("String");
    expect(ws.fake.populates).toEqual([]);
    // New rows fill it; the stored ones took the default.
    ws.fake.ingest("clerk_events", [
      {
        ...fixtureRows()[0],
        event_id: "after",
        event_attributes: { http_request: { client_ip: "203.0.113.9" } },
      },
    ]);
    expect(
      ws.fake.query(
        "SELECT event_id, client_ip FROM clerk_events WHERE event_id IN ('after', 'msg_0') ORDER BY event_id",
      ),
    ).toEqual([
      { event_id: "after", client_ip: "203.0.113.9" },
      { event_id: "msg_0", client_ip: "" },
    ]);
  });

  it("a String made LowCardinality(String) is refused without a FORWARD_QUERY, saying so, and migrates the rows with one", async () => {
    const first = await stackWithEvents();
    const before = ws.fake.query("SELECT event_id, user_id FROM clerk_events ORDER BY event_id");
    editDatasource((t) => t.replace("`user_id` String", "`user_id` LowCardinality(String)"));

    const refused = await ws.rerun(first).catch((e: Error) => e.message);
    expect(refused).toMatch(
      /^Tinybird's check refused these datafiles: Datasource clerk_events\.datasource: Column 'user_id' changes type from String to LowCardinality\(String\).*FORWARD_QUERY.*\. Fix: Tinybird needs a FORWARD_QUERY in the data source named above: a SELECT of every column of the new schema from the live rows/,
    );
    expect(created()).toHaveLength(1);
    expect(columnType("clerk_events", "user_id")).toBe("String");

    // A FORWARD_QUERY that forgets a column is Tinybird's error too, before anything changes.
    editDatasource(
      (t) => `${t}\nFORWARD_QUERY >\n    SELECT event_id, toLowCardinality(user_id) AS user_id\n`,
    );
    await expect(ws.rerun(first)).rejects.toThrow(/FORWARD_QUERY columns don't match datasource schema/);

    editDatasource((t) =>
      t.replace(
        /FORWARD_QUERY >[\s\S]*$/,
        "FORWARD_QUERY >\n    SELECT * EXCEPT (user_id), toLowCardinality(user_id) AS user_id\n",
      ),
    );
    expect(await ws.rerun(first)).toEqual(first);
    expect(columnType("clerk_events", "user_id")).toBe("LowCardinality(String)");
    expect(ws.fake.query("SELECT event_id, user_id FROM clerk_events ORDER BY event_id")).toEqual(before);
    expect(
      ws.progress.some((l) =>
        /clerk_events is repopulated from the stored rows \(its FORWARD_QUERY over the live rows\)/.test(l),
      ),
    ).toBe(true);

    // Left in place once live, Tinybird says it is unused.
    ws.progress.length = 0;
    editDatasource((t) => t.replace("TOKEN", "TAGS clerk\n\nTOKEN"));
    await ws.rerun(first);
    expect(ws.progress).toContain(
      "Tinybird warns: Datasource clerk_events.datasource: FORWARD_QUERY is not used: no change in this deployment needs it. Remove it once this deployment is live",
    );
  });
});

describe("rollups over stored events", () => {
  const history = generateHistory({ seed: 3, users: 15 });

  it("a changed view repopulates its rollup from every stored row, taking many polls, and only that rollup", async () => {
    withRollups();
    const first = await ws.run("create");
    ws.fake.ingest("clerk_events", history.lines);
    const devices = () =>
      ws.fake
        .query<{ device: string }>("SELECT DISTINCT device FROM clerk_events_device_days ORDER BY device")
        .map((r) => r.device);
    expect(devices()).toContain("iPhone");

    const view = join(ws.root, "tinybird/materializations/clerk_events_device_days_mv.pipe");
    writeFileSync(
      view,
      readFileSync(view, "utf8").replace("'unknown', device_type)", "'unknown', lower(device_type))"),
    );
    ws.fake.requests.length = 0;
    ws.fake.populates.length = 0;
    await ws.rerun(first);
    expect(ws.fake.populates).toEqual([{ deployment: "2", datasource: "clerk_events_device_days" }]);
    expect(devices()).toContain("iphone");
    expect(devices()).not.toContain("iPhone");
    const polls = ws.fake.calls().filter((c) => c === "GET /v1/deployments/2").length;
    expect(polls).toBeGreaterThanOrEqual(ws.fake.populateSteps);
  });

  it("a view that does not write its target's types is refused at the check, naming the pipe and the column", async () => {
    withRollups();
    const view = join(ws.root, "tinybird/materializations/clerk_events_user_months_mv.pipe");
    writeFileSync(view, readFileSync(view, "utf8").replace("toUInt32(bitShiftLeft(", "(bitShiftLeft("));
    await expect(ws.run("create")).rejects.toThrow(
      /Pipe clerk_events_user_months_mv\.pipe: materialized view into clerk_events_user_months: column active_days is written as Int64, but clerk_events_user_months holds SimpleAggregateFunction\(groupBitOr, UInt32\)/,
    );
    expect(created()).toHaveLength(0);
  });
});

describe("a workspace Tinybird migrated from Classic", () => {
  /**
   * What a stack deployed on Classic left, once migrated: its data source (with the jsonpaths of
   * then), rollups, views and endpoints live in a first deployment, and its two tokens, made by the
   * Tokens API and named after the data source, kept with their values and scopes.
   */
  function migratedWorkspace() {
    const project = loadProject(ws.root);
    const files = projectDatafiles(project).map((f) => ({
      field: "data_project://",
      filename: f.path,
      text: f.text
        .replace(/^ {4}`event_time` .*$/m, () => "    `event_time` DateTime64(3) `json:$.timestamp`,")
        .replace(/^TOKEN clerk_append APPEND$/m, "TOKEN clerk_events_append APPEND")
        .replace(/^TOKEN "?clerk_read"? READ$/m, "TOKEN clerk_events_read READ"),
    }));
    ws.fake.seedLive(files, {
      id: "0",
      tokenValues: {
        clerk_events_append: "p.classic-append-eyJhIjoxfQ",
        clerk_events_read: "p.classic-read-eyJyIjoxfQ",
      },
    });
    // Rows the Classic forwarder wrote: epoch-millisecond times, no event_time field.
    const old = readdirSync(FIXTURES).map((file, i) => ({
      ...JSON.parse(readFileSync(join(FIXTURES, file), "utf8")),
      event_id: `classic_${i}`,
      received_at: 1716883205250 + i,
    }));
    expect(ws.fake.ingest("clerk_events", old).quarantined).toEqual([]);
  }

  const classicState: ProvisionResult = {
    kind: "classic",
    dataSource: "clerk_events",
    appendToken: "p.classic-append-eyJhIjoxfQ",
    readToken: "p.classic-read-eyJyIjoxfQ",
    appendTokenName: "clerk_events_append",
    readTokenName: "clerk_events_read",
    pipes: ["active_users", "signups"],
  };

  it("is adopted on the next pulumi up: same token values, no row lost, Forward from then on", async () => {
    migratedWorkspace();
    const rows = ws.fake.count("clerk_events");
    const result = await ws.rerun(classicState);
    expect(result).toEqual({ ...classicState, kind: "forward" });
    expect(ws.fake.count("clerk_events")).toBe(rows);
    expect([...ws.fake.tokens.keys()].sort()).toEqual(["clerk_events_append", "clerk_events_read"]);
    const sent = await multipartFiles(created()[0]!);
    expect(sent.find((f) => f.filename === "datasources/clerk_events.datasource")!.text).toMatch(
      /^TOKEN clerk_events_append APPEND$/m,
    );
    expect(ws.progress[0]).toMatch(
      /^keeping the tokens this stack made on Classic \(clerk_events_append, clerk_events_read\)/,
    );

    // The rows from before keep their times; new ones carry event_time.
    ws.fake.ingest("clerk_events", [
      eventRow(
        {
          ...JSON.parse(readFileSync(join(FIXTURES, "user.created.json"), "utf8")),
          timestamp: 1716883200123,
        },
        "forward_1",
        1716883201000,
      ),
    ]);
    expect(
      ws.fake.query(
        "SELECT event_id, event_time, received_at FROM clerk_events WHERE event_id IN ('classic_0', 'forward_1') ORDER BY event_id",
      ),
    ).toEqual([
      {
        event_id: "classic_0",
        event_time: "2024-05-28 08:00:00.000",
        received_at: "2024-05-28 08:00:05.250",
      },
      {
        event_id: "forward_1",
        event_time: "2024-05-28 08:00:00.123",
        received_at: "2024-05-28 08:00:01.000",
      },
    ]);

    // And stays so: the next run changes nothing.
    expect(await ws.rerun(result)).toEqual(result);
    expect(created()).toHaveLength(1);
  });

  it("destroyed before any pulumi up on Forward, revokes the Classic-named tokens and keeps the rows", async () => {
    migratedWorkspace();
    const rows = ws.fake.count("clerk_events");
    await ws.rerun(classicState, "delete");
    expect(ws.fake.tokens.size).toBe(0);
    expect(ws.fake.count("clerk_events")).toBe(rows);
  });
});

describe("destroy over stored events", () => {
  it("keeps the rows and revokes the tokens; once the data is gone, finds nothing to do", async () => {
    const first = await stackWithEvents();
    const rows = ws.fake.count("clerk_events");
    await ws.rerun(first, "delete");
    expect(ws.fake.tokens.size).toBe(0);
    expect(ws.fake.count("clerk_events")).toBe(rows);

    await expect(ws.rerun(first, "delete", { TINYBIRD_DELETE_DATA_ON_DESTROY: "true" })).rejects.toThrow(
      /the tokens are revoked, but the data source "clerk_events" .*are kept/,
    );
    expect(ws.fake.count("clerk_events")).toBe(rows);

    // Deleted by hand, as the message says: a new deployment without it.
    ws.fake.seedLive([
      {
        field: "data_project://",
        filename: "datasources/other.datasource",
        text: "SCHEMA >\n    `a` String",
      },
    ]);
    ws.fake.requests.length = 0;
    await expect(
      ws.rerun(first, "delete", { TINYBIRD_DELETE_DATA_ON_DESTROY: "true" }),
    ).resolves.toBeUndefined();
    expect(created()).toHaveLength(0);
  });
});
