import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DatafileError } from "../../tinybird-model/datafile-syntax";
import { parseDataSource } from "../../tinybird-model/datasource-file";
import { parsePipe } from "../../tinybird-model/pipe-file";
import { hashDatafiles, loadProject, projectDatafiles, renameDataSource } from "../../tinybird-model/project";

const ROOT = resolve(__dirname, "../..");

describe("the committed clerk_events.datasource", () => {
  const { definition } = loadProject(ROOT).dataSource;

  it("declares the contract's columns, jsonpaths and defaults", () => {
    const byName = Object.fromEntries(definition.columns.map((c) => [c.name, c]));
    expect(definition.name).toBe("clerk_events");
    expect(byName.event_id).toMatchObject({ type: "String", jsonPath: "$.event_id" });
    expect(byName.event_type).toMatchObject({ type: "LowCardinality(String)", jsonPath: "$.type" });
    expect(byName.event_time).toMatchObject({
      type: "DateTime64(3)",
      jsonPath: "$.event_time",
      defaultExpression: "fromUnixTimestamp64Milli(JSONExtract(record, 'timestamp', 'Int64'))",
    });
    expect(byName.received_at).toMatchObject({ type: "DateTime64(3)", jsonPath: "$.received_at" });
    expect(byName.object_id).toMatchObject({ jsonPath: "$.data.id", defaultExpression: "''" });
    expect(byName.member_user_id).toMatchObject({ jsonPath: "$.data.public_user_data.user_id" });
    expect(byName.member_organization_id).toMatchObject({ jsonPath: "$.data.organization.id" });
    expect(byName.record).toMatchObject({ type: "String", jsonPath: "$" });
    expect(definition.tokens).toEqual([{ name: "clerk_append", permission: "APPEND" }]);
    expect(definition.engine).toBe("MergeTree");
    expect(definition.engineSettings).toEqual({
      partition_key: "toYYYYMM(event_time)",
      sorting_key: "event_type, event_time, event_id",
    });
    expect(definition.description).toContain("de-duplicate on `event_id`");
  });
});

describe("parseDataSource", () => {
  it("reads bare and backticked names, nested types, defaults with commas, codecs and engine settings", () => {
    const ds = parseDataSource(
      [
        "# a comment",
        "TOKEN reader READ",
        "SCHEMA >",
        "    id String `json:$.id`,",
        "    `tags` Map(String, String) `json:$.tags` DEFAULT map('a', 'b'),",
        "    `n` Nullable(Int64) `json:$.n` CODEC(ZSTD(1)),",
        "    `at` DateTime64(3, 'UTC') `json:$.at` DEFAULT now64(3) CODEC(Delta, ZSTD)",
        "",
        'ENGINE "ReplacingMergeTree"',
        'ENGINE_VER "at"',
        "ENGINE_TTL toDateTime(at) + INTERVAL 1 YEAR",
      ].join("\n"),
      "things",
    );
    expect(ds.columns).toEqual([
      { name: "id", type: "String", jsonPath: "$.id" },
      { name: "tags", type: "Map(String, String)", jsonPath: "$.tags", defaultExpression: "map('a', 'b')" },
      { name: "n", type: "Nullable(Int64)", jsonPath: "$.n", codec: "(ZSTD(1))" },
      {
        name: "at",
        type: "DateTime64(3, 'UTC')",
        jsonPath: "$.at",
        defaultExpression: "now64(3)",
        codec: "(Delta, ZSTD)",
      },
    ]);
    expect(ds.tokens).toEqual([{ name: "reader", permission: "READ" }]);
    expect(ds.engine).toBe("ReplacingMergeTree");
    expect(ds.engineSettings).toEqual({ ver: "at", ttl: "toDateTime(at) + INTERVAL 1 YEAR" });
  });

  it("names the file and line of what it cannot read", () => {
    const bad = (text: string) => () => parseDataSource(text, "x", "tinybird/datasources/x.datasource");
    expect(bad("SCHEMA >\n    `a` String `jsn:$.a`")).toThrow(
      /x\.datasource line 1: column "`a` String `jsn:\$\.a`": a backticked attribute must be a jsonpath/,
    );
    expect(bad("SCHEMA >\n    `a` String,\n    `a` Int8")).toThrow(/column "a" twice/);
    expect(bad('ENGINE "MergeTree"')).toThrow(/no SCHEMA columns/);
    expect(bad("SCHEMA >\n    `a` String\n  stray")).toThrow(DatafileError);
  });
});

describe("parsePipe", () => {
  const text = [
    "DESCRIPTION >",
    "    Sign-ups per day.",
    "",
    "    Second paragraph.",
    "",
    'TOKEN "clerk_read" READ',
    "",
    "NODE deduped",
    "DESCRIPTION >",
    "    one row per event id",
    "SQL >",
    "    SELECT * FROM clerk_events",
    "",
    "    LIMIT 1 BY event_id",
    "",
    "NODE endpoint",
    "SQL >",
    "    %",
    "    SELECT toDate(event_time) AS day, count() AS signups",
    "    FROM deduped",
    "    WHERE event_time >= {{ DateTime(start, '2024-01-01 00:00:00') }}",
    "    GROUP BY day",
    "",
    "TYPE endpoint",
  ].join("\n");

  it("reads nodes with their descriptions and SQL (templates kept), the endpoint and tokens", () => {
    const pipe = parsePipe(text, "signups");
    expect(pipe.description).toBe("Sign-ups per day.\n\nSecond paragraph.");
    expect(pipe.tokens).toEqual([{ name: "clerk_read", permission: "READ" }]);
    expect(pipe.nodes).toEqual([
      {
        name: "deduped",
        description: "one row per event id",
        sql: "SELECT * FROM clerk_events\n\nLIMIT 1 BY event_id",
        instructions: [],
      },
      {
        name: "endpoint",
        sql: [
          "%",
          "SELECT toDate(event_time) AS day, count() AS signups",
          "FROM deduped",
          "WHERE event_time >= {{ DateTime(start, '2024-01-01 00:00:00') }}",
          "GROUP BY day",
        ].join("\n"),
        type: "endpoint",
        instructions: [],
      },
    ]);
    expect(pipe.endpointNode).toBe("endpoint");
  });

  it("rejects what it cannot deploy faithfully", () => {
    expect(() => parsePipe("SQL >\n    SELECT 1", "p")).toThrow(/line 1: SQL before any NODE/);
    expect(() => parsePipe("NODE a\nNODE b\nSQL >\n    SELECT 1", "p")).toThrow(/node a has no SQL/);
    expect(() =>
      parsePipe(
        "NODE a\nSQL >\n    SELECT 1\nTYPE endpoint\nNODE b\nSQL >\n    SELECT 2\nTYPE endpoint",
        "p",
      ),
    ).toThrow(/more than one node has TYPE endpoint/);
    expect(() => parsePipe("DESCRIPTION >\n    nothing", "p")).toThrow(/no NODE/);
  });
});

describe("every instruction Tinybird Forward documents, and any other, is kept for Tinybird to judge", () => {
  const datasource = [
    'DESCRIPTION "events from Kafka"',
    'TAGS "team, kafka"',
    "TOKEN clerk_append APPEND",
    "SCHEMA >",
    "    `a` String `json:$.a`,",
    "    `b` LowCardinality(String) `json:$.b`",
    "",
    "INDEXES >",
    "    INDEX idx_a a TYPE bloom_filter GRANULARITY 4",
    "",
    'ENGINE "MergeTree"',
    'ENGINE_SORTING_KEY "a"',
    'ENGINE_SETTINGS "index_granularity=8192"',
    "FORWARD_QUERY >",
    "    SELECT a, toLowCardinality(b) AS b",
    "BACKFILL skip",
    "SHARED_WITH >",
    "    other_workspace",
    "KAFKA_CONNECTION_NAME my_kafka",
    "KAFKA_TOPIC clerk",
    "KAFKA_GROUP_ID {{ tb_secret('group') }}",
    "SOMETHING_TINYBIRD_ADDS_LATER on",
  ].join("\n");

  it("reads what this project uses and keeps the rest, in order", () => {
    const ds = parseDataSource(datasource, "d");
    expect(ds.forwardQuery).toBe("SELECT a, toLowCardinality(b) AS b");
    expect(ds.indexes).toBe("INDEX idx_a a TYPE bloom_filter GRANULARITY 4");
    expect(ds.tags).toBe("team, kafka");
    expect(ds.engineSettings).toEqual({ sorting_key: "a", settings: "index_granularity=8192" });
    expect(ds.instructions.map((i) => [i.keyword, i.block ?? i.value])).toEqual([
      ["BACKFILL", "skip"],
      ["SHARED_WITH", "other_workspace"],
      ["KAFKA_CONNECTION_NAME", "my_kafka"],
      ["KAFKA_TOPIC", "clerk"],
      ["KAFKA_GROUP_ID", "{{ tb_secret('group') }}"],
      ["SOMETHING_TINYBIRD_ADDS_LATER", "on"],
    ]);
  });

  it("keeps a pipe's instructions at its level or its node's: copies, sinks, deployment methods, unknown ones", () => {
    const pipe = parsePipe(
      [
        "TAGS billing",
        "NODE hourly",
        "SQL >",
        "    SELECT 1 AS n",
        "TYPE copy",
        "TARGET_DATASOURCE hourly_copy",
        'COPY_SCHEDULE "0 * * * *"',
        "COPY_MODE append",
        "NODE view",
        "SQL >",
        "    SELECT n FROM hourly",
        "TYPE materialized",
        "DATASOURCE totals",
        "DEPLOYMENT_METHOD alter",
        "FUTURE_NODE_SETTING 3",
      ].join("\n"),
      "p",
    );
    expect(pipe.tags).toBe("billing");
    expect(
      pipe.nodes.map((n) => [n.name, n.type, n.instructions.map((i) => `${i.keyword} ${i.value}`)]),
    ).toEqual([
      ["hourly", "copy", ["TARGET_DATASOURCE hourly_copy", 'COPY_SCHEDULE "0 * * * *"', "COPY_MODE append"]],
      ["view", "materialized", ["DEPLOYMENT_METHOD alter", "FUTURE_NODE_SETTING 3"]],
    ]);
  });

  it("deploys each file exactly as written", () => {
    const root = mkdtempSync(join(tmpdir(), "tb-asis-"));
    try {
      mkdirSync(join(root, "tinybird/datasources"), { recursive: true });
      writeFileSync(join(root, "tinybird/datasources/clerk_events.datasource"), datasource);
      const loaded = loadProject(root);
      expect(projectDatafiles(loaded)).toEqual([
        { path: "datasources/clerk_events.datasource", text: datasource },
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("renameDataSource", () => {
  it("renames whole words only, and the data source's quarantine table with it", () => {
    const sql =
      "SELECT * FROM clerk_events JOIN clerk_events_quarantine USING (event_id) " +
      "WHERE x IN (SELECT 1 FROM my_clerk_events, clerk_events_daily, `clerk_events`)";
    expect(renameDataSource(sql, "clerk_events", "auth_events")).toBe(
      "SELECT * FROM auth_events JOIN auth_events_quarantine USING (event_id) " +
        "WHERE x IN (SELECT 1 FROM my_clerk_events, clerk_events_daily, `auth_events`)",
    );
  });
});

describe("loadProject", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function project(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), "tb-project-"));
    dirs.push(root);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  }

  const files = {
    "tinybird/datasources/clerk_events.datasource":
      "TOKEN clerk_append APPEND\nSCHEMA >\n    `a` String `json:$.a`",
    "tinybird/endpoints/b.pipe": "NODE n\nSQL >\n    SELECT a FROM clerk_events\nTYPE endpoint",
    "tinybird/endpoints/a.pipe": "NODE n\nSQL >\n    SELECT count() FROM clerk_events_quarantine",
    "tinybird/endpoints/notes.md": "not a datafile",
  };

  const withRollup = {
    ...files,
    "tinybird/datasources/clerk_events_daily.datasource":
      'SCHEMA >\n    `day` Date,\n    `n` AggregateFunction(count)\nENGINE "AggregatingMergeTree"\nENGINE_SORTING_KEY "day"',
    "tinybird/materializations/clerk_events_daily_mv.pipe":
      "NODE m\nSQL >\n    SELECT toDate(now()) AS day, countState() AS n FROM clerk_events\nTYPE materialized\nDATASOURCE clerk_events_daily",
  };

  it("tells the landing data source from the rollups materialized pipes write, and renames them together", () => {
    const loaded = loadProject(project(withRollup), { dataSourceName: "auth" });
    expect(loaded.dataSource.definition.name).toBe("auth");
    expect(loaded.rollups.map((r) => r.file.path)).toEqual(["datasources/auth_daily.datasource"]);
    expect(loaded.materializations.map((m) => [m.file.path, m.definition.materializedNode])).toEqual([
      ["materializations/auth_daily_mv.pipe", "m"],
    ]);
    expect(loaded.materializations[0]!.file.text).toContain(
      "FROM auth\nTYPE materialized\nDATASOURCE auth_daily",
    );
  });

  it.each([
    [
      "a materialized node without its target",
      {
        "tinybird/materializations/clerk_events_daily_mv.pipe":
          "NODE m\nSQL >\n    SELECT 1\nTYPE materialized",
      },
      /node m is materialized: name its target with DATASOURCE <name>/,
    ],
    [
      "a target that is not a datafile",
      {
        "tinybird/materializations/clerk_events_daily_mv.pipe":
          "NODE m\nSQL >\n    SELECT 1\nTYPE materialized\nDATASOURCE clerk_events_weekly",
      },
      /writes into "clerk_events_weekly", which no datafile in tinybird\/ declares: add tinybird\/datasources\/clerk_events_weekly.datasource/,
    ],
  ])("refuses %s, so pulumi preview fails before anything deploys", (_, change, message) => {
    const { "tinybird/materializations/clerk_events_daily_mv.pipe": _mv, ...rest } = withRollup;
    expect(() => loadProject(project({ ...rest, ...change }))).toThrow(message);
  });

  it("finds the data source and the pipes (sorted) with the paths a deployment uses", () => {
    const loaded = loadProject(project(files));
    expect(loaded.dataSource.file.path).toBe("datasources/clerk_events.datasource");
    expect(loaded.pipes.map((p) => [p.file.path, p.definition.name])).toEqual([
      ["endpoints/a.pipe", "a"],
      ["endpoints/b.pipe", "b"],
    ]);
  });

  it("deploys a configured data source name and rewrites the pipes to read from it", () => {
    const loaded = loadProject(project(files), { dataSourceName: "clerk_events_staging" });
    expect(loaded.dataSource.definition.name).toBe("clerk_events_staging");
    expect(loaded.dataSource.file).toEqual({
      path: "datasources/clerk_events_staging.datasource",
      text: files["tinybird/datasources/clerk_events.datasource"],
    });
    expect(loaded.pipes.map((p) => p.definition.nodes[0]!.sql)).toEqual([
      "SELECT count() FROM clerk_events_staging_quarantine",
      "SELECT a FROM clerk_events_staging",
    ]);
    expect(loaded.pipes[1]!.file.text).toContain("FROM clerk_events_staging\n");
  });

  it("refuses a name Tinybird would refuse, naming the setting", () => {
    expect(() => loadProject(project(files), { dataSourceName: "clerk-events" })).toThrow(
      /"clerk-events" is not a valid Tinybird name \(the data source name, TINYBIRD_DATASOURCE\)/,
    );
  });

  it("wants the landing data source, clerk_events.datasource", () => {
    expect(() =>
      loadProject(project({ "tinybird/endpoints/a.pipe": files["tinybird/endpoints/a.pipe"] })),
    ).toThrow(
      /no clerk_events\.datasource in tinybird\/: the landing data source the forwarder appends to must keep that file name/,
    );
  });

  it("deploys a team's own datafiles beside ours, in any folder, as written, and renames only ours", () => {
    const team = {
      ...withRollup,
      "tinybird/datasources/page_views.datasource": "SCHEMA >\n    `url` String `json:$.url`",
      "tinybird/copies/page_views_daily.pipe":
        "NODE n\nSQL >\n    SELECT url, count() AS n FROM page_views JOIN clerk_events USING a GROUP BY url\nTYPE copy\nTARGET_DATASOURCE page_views_daily",
      "tinybird/datasources/page_views_daily.datasource": "SCHEMA >\n    `url` String,\n    `n` UInt64",
      "tinybird/connections/kafka.connection": "TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS host:9092",
      "tinybird/fixtures/page_views.ndjson": "{}",
    };
    const loaded = loadProject(project(team), { dataSourceName: "auth" });
    expect(projectDatafiles(loaded).map((f) => f.path)).toEqual([
      "connections/kafka.connection",
      "datasources/auth.datasource",
      "datasources/page_views.datasource",
      "datasources/page_views_daily.datasource",
      "datasources/auth_daily.datasource",
      "materializations/auth_daily_mv.pipe",
      "copies/page_views_daily.pipe",
      "endpoints/a.pipe",
      "endpoints/b.pipe",
    ]);
    expect(loaded.dataSources.map((d) => d.definition.name)).toEqual(["page_views", "page_views_daily"]);
    expect(loaded.pipes.find((p) => p.definition.name === "page_views_daily")!.file.text).toContain(
      "FROM page_views JOIN auth USING a",
    );
  });

  it("hashes datafile contents and paths, ignoring other files", () => {
    const root = project(files);
    const before = hashDatafiles(root);
    writeFileSync(join(root, "tinybird/endpoints/notes.md"), "edited");
    expect(hashDatafiles(root)).toBe(before);
    writeFileSync(join(root, "tinybird/endpoints/a.pipe"), "NODE n\nSQL >\n    SELECT 2");
    expect(hashDatafiles(root)).not.toBe(before);
  });
});
