/**
 * Every materialized view writes exactly its target's columns: `DESCRIBE (<the view's SELECT>)` on
 * chDB, over tables made from the datafiles, against the target data source, names and types (a
 * `SimpleAggregateFunction(f, T)` column is written as `T`). Tinybird checks this at deployment;
 * ClickHouse alone would convert silently on insert. A pipe added to tinybird/ is covered as is.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Session } from "chdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTableSql } from "../../tinybird-model/clickhouse";
import { parseDataSource } from "../../tinybird-model/datasource-file";
import { loadProject } from "../../tinybird-model/project";
import { REPO_ROOT } from "./support/project";
import { describeSelect, viewSql, viewTargetMismatches, writtenType } from "./support/view-columns";

const project = loadProject(REPO_ROOT);
const views = project.materializations.map((m) => m.definition);
const tables = [project.dataSource, ...project.dataSources, ...project.rollups].map((d) => d.definition);
const DATABASE = "view_types";

let session: Session;
beforeAll(() => {
  session = new Session();
  session.query("SET session_timezone = 'UTC'");
  session.query(`CREATE DATABASE ${DATABASE}`);
  session.query(`USE ${DATABASE}`);
  for (const ds of tables) session.query(createTableSql(ds));
});
afterAll(() => {
  if (session?.open) session.cleanup();
});

describe("materialized views write exactly their targets' types", () => {
  it("covers every pipe in tinybird/materializations/", () => {
    const files = readdirSync(join(REPO_ROOT, "tinybird/materializations")).filter((f) =>
      f.endsWith(".pipe"),
    );
    expect(views.map((v) => `${v.name}.pipe`).sort()).toEqual(expect.arrayContaining(files));
    expect(views.length).toBeGreaterThanOrEqual(6);
  });

  it.each(views.map((v) => [v.name, v] as const))("%s", (_, view) => {
    const target = view.nodes.find((n) => n.name === view.materializedNode)!.datasource!;
    const ds = tables.find((t) => t.name === target)!;
    expect(viewTargetMismatches(describeSelect(session, DATABASE, viewSql(view)), ds)).toEqual([]);
  });
});

describe("the comparison", () => {
  it("reports a wider type, a missing column and an extra one, and reads SimpleAggregateFunction as its value type", () => {
    const target = parseDataSource(
      "SCHEMA >\n    `m` UInt32,\n    `d` SimpleAggregateFunction(groupBitOr, UInt32),\n    `k` LowCardinality(String),\n    `x` String",
      "t",
    );
    const view = describeSelect(
      session,
      DATABASE,
      "SELECT toUInt32(1) AS m, groupBitOr(toInt64(1)) AS d, 'a' AS k, 1 AS y",
    );
    expect(viewTargetMismatches(view, target)).toEqual([
      "column d is written as Int64, but t holds SimpleAggregateFunction(groupBitOr, UInt32)",
      "column k is written as String, but t holds LowCardinality(String)",
      "column x (String) is not written by the view",
      "the view writes y (UInt8), which t has no column for",
    ]);
    expect(writtenType("SimpleAggregateFunction(min, Nullable(DateTime64(3)))")).toBe(
      "Nullable(DateTime64(3))",
    );
    expect(writtenType("AggregateFunction(uniqExact, UInt64)")).toBe("AggregateFunction(uniqExact,UInt64)");
  });
});
