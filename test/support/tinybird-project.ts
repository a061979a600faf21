/**
 * A whole Tinybird project (`tinybird/`) running in one chDB session: the landing data source and
 * the rollups as tables, each `TYPE materialized` pipe as a ClickHouse materialized view writing into
 * its target (so every INSERT into the landing table fills the rollups, block by block, as Tinybird's
 * ingestion does), and the endpoints callable with request parameters.
 *
 * Self-contained on purpose (a chDB Session in, rows out) so that a local store can reuse it:
 *   const local = loadTinybirdProject(new Session(), projectDir);
 *   ingest(local, ndjsonLines);
 *   queryPipe(local, "active_users", { start_date: "2025-01-01" });
 */
import type { Session } from "chdb";
import { createTableSql, type IngestResult, insertEvents } from "../../tinybird-model/clickhouse";
import type { PipeDefinition } from "../../tinybird-model/pipe-file";
import { loadProject, type TinybirdProject } from "../../tinybird-model/project";
import { renderPipeSql, type TemplateParams } from "../../tinybird-model/template";

export interface LocalTinybird {
  session: Session;
  project: TinybirdProject;
  /** The ClickHouse database holding the project (chDB allows one session per process). */
  database: string;
}

function rowsOf<T>(output: string): T[] {
  return output
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);
}

/** Runs SQL in the session and parses its rows (JSONEachRow). */
export function querySql<T = Record<string, unknown>>(local: LocalTinybird, sql: string): T[] {
  local.session.query(`USE \`${local.database}\``);
  return rowsOf<T>(local.session.query(sql, "JSONEachRow"));
}

/** `CREATE MATERIALIZED VIEW … TO <target>` for a `TYPE materialized` pipe. */
export function materializedViewSql(pipe: PipeDefinition): string {
  const node = pipe.nodes.find((n) => n.name === pipe.materializedNode);
  if (!node?.datasource) throw new Error(`pipe ${pipe.name} has no TYPE materialized node with a DATASOURCE`);
  return `CREATE MATERIALIZED VIEW \`${pipe.name}\` TO \`${node.datasource}\` AS\n${renderPipeSql(pipe)}`;
}

/**
 * Creates the project's tables and materialized views in `session`, landing data source first, then
 * the rollups, then the views (a view needs its source and target). `dataSourceName` deploys under
 * another name, as a stack with TINYBIRD_DATASOURCE does; `database` keeps several projects apart in
 * one session.
 */
export function loadTinybirdProject(
  session: Session,
  projectDir: string,
  options: { dataSourceName?: string; database?: string } = {},
): LocalTinybird {
  const project = loadProject(projectDir, options);
  const database = options.database ?? "default";
  // Tinybird runs in UTC; the machine running this may not.
  session.query("SET session_timezone = 'UTC'");
  session.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
  session.query(`USE \`${database}\``);
  for (const ds of [project.dataSource, ...project.rollups]) session.query(createTableSql(ds.definition));
  for (const m of project.materializations) session.query(materializedViewSql(m.definition));
  return { session, project, database };
}

/**
 * Appends NDJSON lines (or objects) to the landing data source as the Events API would: each line
 * mapped through the jsonpaths (bad ones reported as quarantined), inserted in blocks of
 * `blockSize` rows in the given order, each block firing the materialized views once.
 */
export function ingest(
  local: LocalTinybird,
  events: (string | object)[],
  options: { blockSize?: number } = {},
): IngestResult {
  local.session.query(`USE \`${local.database}\``);
  return insertEvents(
    (sql) => local.session.query(sql),
    local.project.dataSource.definition,
    events,
    options,
  );
}

/** The SQL an endpoint runs for these parameters (`now` pins today()/now(), for fixed histories). */
export function pipeSql(
  local: LocalTinybird,
  pipeName: string,
  params: TemplateParams = {},
  now?: Date,
): string {
  const found = local.project.pipes.find((p) => p.definition.name === pipeName);
  if (!found) throw new Error(`no endpoint pipe named ${pipeName} in tinybird/endpoints`);
  return renderPipeSql(found.definition, params, now ? { now } : {});
}

/** Calls an endpoint as Tinybird would (`now` pins the clock) and returns its rows. */
export function queryPipe<T = Record<string, unknown>>(
  local: LocalTinybird,
  pipeName: string,
  params: TemplateParams = {},
  options: { now?: Date } = {},
): T[] {
  return querySql<T>(local, pipeSql(local, pipeName, params, options.now));
}
