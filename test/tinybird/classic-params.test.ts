import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { dataSourceCreateParams, pipeCreateBody } from "../../infra/provisioning/tinybird/classic-params";
import { parsePipe } from "../../tinybird-model/pipe-file";
import { loadProject } from "../../tinybird-model/project";

const ROOT = resolve(__dirname, "../..");

describe("dataSourceCreateParams", () => {
  it("derives POST /v0/datasources fields from the committed datafile, jsonpaths inside the schema", () => {
    const params = dataSourceCreateParams(loadProject(ROOT).dataSource.definition);
    expect([...params.keys()]).toEqual([
      "name",
      "mode",
      "format",
      "schema",
      "engine",
      "engine_partition_key",
      "engine_sorting_key",
      "description",
    ]);
    expect(params.get("name")).toBe("clerk_events");
    expect(params.get("mode")).toBe("create");
    expect(params.get("format")).toBe("ndjson");
    expect(params.get("engine")).toBe("MergeTree");
    expect(params.get("engine_sorting_key")).toBe("event_type, event_time, event_id");
    expect(params.get("engine_partition_key")).toBe("toYYYYMM(event_time)");
    expect(params.get("schema")).toBe(
      [
        "`event_id` String `json:$.event_id`",
        "`event_type` LowCardinality(String) `json:$.type`",
        "`event_time` DateTime64(3) `json:$.event_time` DEFAULT fromUnixTimestamp64Milli(JSONExtract(record, 'timestamp', 'Int64'))",
        "`received_at` DateTime64(3) `json:$.received_at`",
        "`instance_id` LowCardinality(String) `json:$.instance_id` DEFAULT ''",
        "`object_id` String `json:$.data.id` DEFAULT ''",
        "`user_id` String `json:$.data.user_id` DEFAULT ''",
        "`organization_id` String `json:$.data.organization_id` DEFAULT ''",
        "`member_user_id` String `json:$.data.public_user_data.user_id` DEFAULT ''",
        "`member_organization_id` String `json:$.data.organization.id` DEFAULT ''",
        "`status` LowCardinality(String) `json:$.data.status` DEFAULT ''",
        "`record` String `json:$`",
      ].join(", "),
    );
  });

  it("uses the configured name and carries every ENGINE_* setting and codec", () => {
    const project = loadProject(ROOT, { dataSourceName: "auth_events" });
    expect(dataSourceCreateParams(project.dataSource.definition).get("name")).toBe("auth_events");
    const params = dataSourceCreateParams({
      name: "t",
      tokens: [],
      columns: [{ name: "v", type: "UInt64", jsonPath: "$.v", codec: "(Delta, ZSTD(1))" }],
      engine: "ReplacingMergeTree",
      engineSettings: { sorting_key: "v", ver: "v", ttl: "toDate(v) + 1" },
    });
    expect(params.get("schema")).toBe("`v` UInt64 `json:$.v` CODEC(Delta, ZSTD(1))");
    expect(params.get("engine_ver")).toBe("v");
    expect(params.get("engine_ttl")).toBe("toDate(v) + 1");
    expect(params.has("description")).toBe(false);
  });
});

describe("pipeCreateBody", () => {
  it("sends every node in order, the endpoint node typed so Tinybird publishes it", () => {
    const pipe = parsePipe(
      "DESCRIPTION >\n    Daily\nNODE a\nDESCRIPTION >\n    raw\nSQL >\n    SELECT 1\nNODE b\nSQL >\n    %\n    SELECT * FROM a\nTYPE endpoint",
      "daily",
    );
    expect(pipeCreateBody(pipe)).toEqual({
      name: "daily",
      description: "Daily",
      nodes: [
        { name: "a", sql: "SELECT 1", description: "raw" },
        { name: "b", sql: "%\nSELECT * FROM a", type: "endpoint" },
      ],
    });
  });
});
