/**
 * A Tinybird project (`loadProject`) on chDB, built and kept up to date the way a Forward deployment
 * does it: every data source a table, every `TYPE materialized` pipe a materialized view writing
 * into its target (so an INSERT into the landing table fills the rollups block by block, as
 * Tinybird's ingestion does), and every endpoint callable with request parameters.
 *
 * `syncProject` compares what a database holds with the datafiles and changes only what differs,
 * keeping the data: each table and view carries, in its COMMENT, a hash of the definition it was
 * built from. A changed rollup or view is rebuilt from the stored events (a populate, partition by
 * partition, as Forward repopulates); a changed landing data source is migrated, its stored lines
 * re-ingested through the new jsonpaths when it keeps the whole line (`json:$`), else copied column
 * by column, into a new table swapped in only once complete. The local store, the analytics tests
 * and the benches all build a project through here, and ingest through `ingestSteps`.
 *
 * With `deferLandingViews` (the local store), the views ClickHouse fires from the landing table
 * (its source) read a Null-engine twin of it instead (`<landing>__feed`): an INSERT into the landing
 * table writes one part, and the caller brings the rollups up to date by inserting the same rows into
 * the twin, many inserts' rows at once (docs/local-and-dashboard.md, "The rollups follow in batches").
 */
import { createHash } from "node:crypto";
import type { Session } from "chdb";
import { CommandError } from "../command-kit/command-shell";
import {
  createTableSql,
  type IngestOptions,
  type IngestResult,
  ingestSteps,
  prepareSession,
} from "./clickhouse";
import type { DataSourceDefinition } from "./datasource-file";
import type { PipeDefinition } from "./pipe-file";
import { loadProject, type TinybirdProject } from "./project";
import { ident, literal, rows, runOnSession, type SqlSteps, sql } from "./sql-steps";
import { renderPipeSql, type TemplateParams } from "./template";

/** What the COMMENT of a table or view built here says. */
interface Marker {
  by: "clerk-tinybird";
  role: "landing" | "rollup" | "view" | "feed";
  /** Hash of the definition it was built from; empty while a rollup is being filled. */
  hash: string;
}

/** Bump when the way tables or views are built changes, so existing stores rebuild their rollups. */
const BUILD_VERSION = 1;
/** Stored lines read back per query when a landing data source is migrated. */
const MIGRATION_CHUNK = 5_000;

const hashOf = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("hex");

/** What a data source's storage depends on (not its description or tokens). */
export function dataSourceHash(ds: DataSourceDefinition): string {
  return hashOf({ columns: ds.columns, engine: ds.engine, engineSettings: ds.engineSettings });
}

/** The data source a `TYPE materialized` pipe writes into. */
export function materializedTarget(pipe: PipeDefinition): string {
  const node = pipe.nodes.find((n) => n.name === pipe.materializedNode);
  if (!node?.datasource)
    throw new ProjectSyncError(
      `pipe ${pipe.name} has no TYPE materialized node with a DATASOURCE. Fix: name its target data source in tinybird/materializations/${pipe.name}.pipe`,
    );
  return node.datasource;
}

/** The SELECT a materialized pipe runs over each inserted block: its nodes up to the materialized one. */
export function materializedSelect(pipe: PipeDefinition): string {
  return renderPipeSql({ ...pipe, endpointNode: pipe.materializedNode });
}

/** `deferred`: built by a sync with `deferLandingViews`, for a view that names the landing table. */
export function viewHash(pipe: PipeDefinition, deferred = false): string {
  return hashOf({
    build: BUILD_VERSION,
    target: materializedTarget(pipe),
    sql: materializedSelect(pipe),
    ...(deferred ? { deferred } : {}),
  });
}

/** The Null-engine twin of the landing table that deferred views read (see the file comment). */
export const feedTable = (landing: string) => `${landing}__feed`;

/**
 * The view's SELECT reading the landing data source's twin instead of the landing table, or undefined
 * when it does not name the landing table exactly once after a FROM or JOIN (a view that also looks up
 * stored rows stays on the landing table: there every reference but its source reads the whole
 * table). Whether the landing table is the view's source, ClickHouse says (see `createView`).
 */
export function fedSelect(pipe: PipeDefinition, landing: string): string | undefined {
  const select = materializedSelect(pipe);
  const name = landing.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const source = new RegExp(`(\\b(?:FROM|JOIN)\\s+)(\`?)${name}\\2(?![A-Za-z0-9_])`, "gi");
  const found = select.match(source) ?? [];
  if (found.length !== 1) return undefined;
  return select.replace(source, (_, keyword: string) => `${keyword}${ident(feedTable(landing))}`);
}

/** The materialized views ClickHouse fires from `table` (those whose source it is). */
function* viewsFiredBy(database: string, table: string): SqlSteps<string[]> {
  const [found] = yield* rows<{ views: string[] }>(
    `SELECT dependencies_table AS views FROM system.tables WHERE database = ${literal(database)} AND name = ${literal(table)}`,
  );
  return found?.views ?? [];
}

/** The views that read the landing table's twin in `database` (those its batches fire). */
export function fedViews(project: TinybirdProject, database: string): SqlSteps<string[]> {
  return viewsFiredBy(database, feedTable(project.dataSource.definition.name));
}

/** `CREATE MATERIALIZED VIEW … TO <target>` for a `TYPE materialized` pipe, named after the pipe. */
export function materializedViewSql(
  pipe: PipeDefinition,
  comment?: string,
  select = materializedSelect(pipe),
): string {
  return [
    `CREATE MATERIALIZED VIEW ${ident(pipe.name)} TO ${ident(materializedTarget(pipe))} AS`,
    select,
    // On its own line: the pipe's SQL may end with a -- comment.
    ...(comment === undefined ? [] : [`COMMENT ${literal(comment)}`]),
  ].join("\n");
}

/** Whether `text` names `table` as a whole word (a pipe reading it). */
const reads = (text: string, table: string) =>
  new RegExp(`(?<![A-Za-z0-9_])${table}(?![A-Za-z0-9_])`).test(text);

/**
 * The materialized pipes in dependency order: one reading the data source another fills comes after
 * it, so rollups of rollups are built (and populated) after what they read.
 */
export function materializationsInOrder(project: TinybirdProject): PipeDefinition[] {
  const views = project.materializations.map((m) => m.definition);
  const ordered: PipeDefinition[] = [];
  const visiting = new Set<PipeDefinition>();
  const visit = (view: PipeDefinition) => {
    if (ordered.includes(view)) return;
    if (visiting.has(view))
      throw new ProjectSyncError(
        `materialized pipe ${view.name} reads, through other materialized pipes, the data source it writes (a cycle). Fix: make one of them read the landing data source instead`,
      );
    visiting.add(view);
    for (const other of views)
      if (other !== view && reads(materializedSelect(view), materializedTarget(other))) visit(other);
    ordered.push(view);
  };
  for (const view of views) visit(view);
  return ordered;
}

function markerOf(comment: string | undefined): Marker | undefined {
  try {
    const marker = JSON.parse(comment ?? "") as Marker;
    return marker?.by === "clerk-tinybird" ? marker : undefined;
  } catch {
    return undefined;
  }
}

const marker = (role: Marker["role"], hash: string) =>
  JSON.stringify({ by: "clerk-tinybird", role, hash } satisfies Marker);

export interface SyncOptions {
  /** The database holding the project (created when missing). */
  database: string;
  /** A line per step of a long rebuild. */
  progress?: (line: string) => void;
  /** Fill every rollup again from the stored events, changed or not (e.g. after damaged parts). */
  refillAll?: boolean;
  /**
   * The views reading the landing data source read its twin (`feedTable`) instead: the caller
   * inserts into the twin what it inserted into the landing table, when it chooses.
   */
  deferLandingViews?: boolean;
}

/** What `syncProject` did. */
export interface SyncReport {
  /** The database held nothing of this project: every table and view was created empty. */
  created: boolean;
  /** The landing data source's stored rows moved into a table of its new schema. */
  migrated?: { from: string; to: string; rows: number; how: string };
  /** Rollups filled again from the stored rows, with their row counts after. */
  rebuilt: { table: string; rows: number }[];
  /** Materialized views created (again). */
  views: string[];
  /** Tables and views removed because no datafile defines them any more. */
  dropped: string[];
  /** Rows of the landing data source when the sync ended. */
  landingRows: number;
}

/**
 * Why a project could not be brought up to date (nothing was changed): the message names the cause
 * and the fix, ClickHouse's error is its cause. The store keeps serving what it had.
 */
export class ProjectSyncError extends CommandError {
  override name = "ProjectSyncError";
}

/** A rebuild that stopped after it changed tables: the rollups are incomplete until one finishes. */
export class RebuildStoppedError extends ProjectSyncError {
  override name = "RebuildStoppedError";
}

/** The first line of ClickHouse's error: the rest is its stack. */
const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split("\n")[0];

interface TableRow {
  name: string;
  engine: string;
  comment: string;
}

/**
 * Brings `database` in line with the project, keeping the data (see the file comment). Safe to run
 * on every start: when nothing changed it only reads the catalogue. Must not run concurrently with
 * inserts into the project's tables.
 */
export function* syncProject(project: TinybirdProject, options: SyncOptions): SqlSteps<SyncReport> {
  const { database } = options;
  const progress = options.progress ?? (() => {});
  yield* prepareSession();
  yield* sql(`CREATE DATABASE IF NOT EXISTS ${ident(database)} ENGINE = Atomic`);
  yield* sql(`USE ${ident(database)}`);
  const existing = new Map(
    (yield* rows<TableRow>(
      `SELECT name, engine, comment FROM system.tables WHERE database = ${literal(database)}`,
    )).map((t) => [t.name, t]),
  );
  const isView = (t: TableRow | undefined) => t?.engine === "MaterializedView";
  const landing = project.dataSource.definition;
  const landingHash = dataSourceHash(landing);
  const current = existing.get(landing.name);

  // The landing data source: kept, migrated (its schema changed, or it was renamed), or created.
  let migrateFrom: string | undefined;
  if (current && !isView(current)) {
    if (markerOf(current.comment)?.hash !== landingHash) migrateFrom = landing.name;
  } else {
    migrateFrom = [...existing.values()].find((t) => markerOf(t.comment)?.role === "landing")?.name;
  }
  const created = !current && migrateFrom === undefined;

  const views = materializationsInOrder(project);
  const feed = feedTable(landing.name);
  const deferred = (view: PipeDefinition) =>
    options.deferLandingViews === true && reads(materializedSelect(view), landing.name);
  const feeds = views.some(deferred);
  const hashOfView = (view: PipeDefinition) => viewHash(view, deferred(view));
  const rollups = new Map(project.rollups.map((r) => [r.definition.name, r.definition]));
  const changedRollups = [...rollups.values()].filter(
    (r) => markerOf(existing.get(r.name)?.comment)?.hash !== dataSourceHash(r),
  );
  const changedViews = views.filter((v) => {
    const built = existing.get(v.name);
    return !isView(built) || markerOf(built?.comment)?.hash !== hashOfView(v);
  });
  // Tables to fill again: changed rollups, targets of changed views, and everything downstream.
  const refill = new Set<string>([
    ...changedRollups.map((r) => r.name),
    ...changedViews.map(materializedTarget),
  ]);
  if (migrateFrom !== undefined || options.refillAll) for (const name of rollups.keys()) refill.add(name);
  for (const view of views)
    if ([...refill].some((t) => reads(materializedSelect(view), t))) refill.add(materializedTarget(view));
  const rebuildViews = views.filter(
    (v) =>
      changedViews.includes(v) ||
      refill.has(materializedTarget(v)) ||
      [...refill].some((t) => reads(materializedSelect(v), t)),
  );

  const report: SyncReport = { created, rebuilt: [], views: [], dropped: [], landingRows: 0 };
  const changes =
    migrateFrom !== undefined ||
    created ||
    refill.size > 0 ||
    rebuildViews.length > 0 ||
    (feeds && markerOf(existing.get(feed)?.comment)?.hash !== landingHash) ||
    [...existing.values()].some(
      (t) =>
        (isView(t) && !views.some((v) => v.name === t.name)) ||
        (markerOf(t.comment)?.role === "rollup" && !rollups.has(t.name)),
    );
  if (!changes) {
    report.landingRows = yield* count(landing.name);
    return report;
  }

  // 0. The new definitions are built empty in a scratch database first: a datafile ClickHouse
  // refuses (a type, a view's SQL against its tables) changes nothing.
  if (!created) yield* validate(project, views, database);

  // 1. A migrated landing data source is filled beside the old one first: a failure changes nothing.
  const next = `${landing.name}__next`;
  if (migrateFrom !== undefined) {
    yield* sql(`DROP TABLE IF EXISTS ${ident(next)}`);
    yield* sql(createTableSql(landing, next, marker("landing", landingHash)));
    try {
      const moved = yield* fillLanding(landing, migrateFrom, next, database, progress);
      report.migrated = { from: migrateFrom, to: landing.name, ...moved };
    } catch (error) {
      yield* sql(`DROP TABLE IF EXISTS ${ident(next)}`);
      throw error;
    }
  }

  try {
    yield* rebuild();
  } catch (error) {
    throw new RebuildStoppedError(
      `rebuilding stopped part-way (${firstLine(error)}): the rollups may be incomplete until it finishes; it runs again at the next start`,
      { cause: error },
    );
  }
  return report;

  function* rebuild(): SqlSteps<void> {
    // 2. Views that go away or are rebuilt stop first, so that filling a table fires nothing.
    const wanted = new Set(views.map((v) => v.name));
    for (const [name, table] of existing) {
      if (!isView(table)) continue;
      if (!wanted.has(name) || rebuildViews.some((v) => v.name === name)) {
        yield* sql(`DROP VIEW IF EXISTS ${ident(name)}`);
        if (!wanted.has(name)) report.dropped.push(name);
      }
    }

    // 3. The landing table.
    if (migrateFrom === landing.name) {
      yield* sql(`EXCHANGE TABLES ${ident(landing.name)} AND ${ident(next)}`);
      yield* sql(`DROP TABLE ${ident(next)}`);
    } else if (migrateFrom !== undefined) {
      yield* sql(`RENAME TABLE ${ident(next)} TO ${ident(landing.name)}`);
      yield* sql(`DROP TABLE ${ident(migrateFrom)}`);
      report.dropped.push(migrateFrom);
      const quarantine = `${migrateFrom}_quarantine`;
      if (existing.has(quarantine) && !existing.has(`${landing.name}_quarantine`))
        yield* sql(`RENAME TABLE ${ident(quarantine)} TO ${ident(`${landing.name}_quarantine`)}`);
    } else if (created) {
      yield* sql(createTableSql(landing, landing.name, marker("landing", landingHash)));
    }
    report.landingRows = created ? 0 : yield* count(landing.name);

    // The landing table's twin for deferred views, of its current schema (its views were dropped in
    // step 2 when the landing data source changed, since every rollup is then filled again).
    if (feeds && markerOf(existing.get(feed)?.comment)?.hash !== landingHash) {
      yield* sql(`DROP TABLE IF EXISTS ${ident(feed)}`);
      yield* sql(
        `CREATE TABLE ${ident(feed)} AS ${ident(landing.name)} ENGINE = Null COMMENT ${literal(marker("feed", landingHash))}`,
      );
    }

    // 4. Rollups, in the order their views fill them: created, or emptied and filled again.
    const rollupOrder = [...new Set([...views.map(materializedTarget), ...rollups.keys()])].filter((name) =>
      rollups.has(name),
    );
    for (const name of rollupOrder) {
      if (!refill.has(name)) continue;
      const definition = rollups.get(name)!;
      const hash = dataSourceHash(definition);
      if (changedRollups.includes(definition)) {
        yield* sql(`DROP TABLE IF EXISTS ${ident(name)}`);
        yield* sql(createTableSql(definition, name, marker("rollup", "")));
      } else {
        yield* sql(`ALTER TABLE ${ident(name)} MODIFY COMMENT ${literal(marker("rollup", ""))}`);
        yield* sql(`TRUNCATE TABLE ${ident(name)}`);
      }
      if (!created) {
        for (const view of views.filter((v) => materializedTarget(v) === name))
          yield* populate(view, landing, progress);
        report.rebuilt.push({ table: name, rows: yield* count(name) });
      }
      yield* sql(`ALTER TABLE ${ident(name)} MODIFY COMMENT ${literal(marker("rollup", hash))}`);
    }

    // 5. Views, each once what it reads and writes is complete.
    for (const view of rebuildViews) {
      const comment = marker("view", hashOfView(view));
      const fed = deferred(view) ? fedSelect(view, landing.name) : undefined;
      if (fed === undefined) yield* sql(materializedViewSql(view, comment));
      else yield* createView(view, comment, landing.name, fed, database);
      report.views.push(view.name);
    }

    // 6. Rollups no datafile defines any more.
    for (const [name, table] of existing) {
      const role = markerOf(table.comment)?.role;
      if ((role === "rollup" && !rollups.has(name)) || (role === "feed" && (!feeds || name !== feed))) {
        yield* sql(`DROP TABLE IF EXISTS ${ident(name)}`);
        report.dropped.push(name);
      }
    }
  }
}

/**
 * A view that may read the landing table's twin: on the twin when ClickHouse fires it from the
 * landing table (its source, not a lookup in a subquery) and builds it there; on the landing table
 * otherwise (it then runs at every INSERT, as before).
 */
function* createView(
  view: PipeDefinition,
  comment: string,
  landing: string,
  fed: string,
  database: string,
): SqlSteps<void> {
  yield* sql(materializedViewSql(view, comment));
  if (!(yield* viewsFiredBy(database, landing)).includes(view.name)) return;
  yield* sql(`DROP VIEW ${ident(view.name)}`);
  try {
    yield* sql(materializedViewSql(view, comment, fed));
  } catch {
    // e.g. a column written `landing.column`: the twin has another name.
    yield* sql(materializedViewSql(view, comment));
  }
}

/**
 * Builds the project's tables and views, empty, in a scratch database; throws ProjectSyncError naming
 * the datafile ClickHouse refused.
 */
function* validate(project: TinybirdProject, views: PipeDefinition[], database: string): SqlSteps<void> {
  const scratch = `${database}__check`;
  const pathOf = new Map(project.materializations.map((m) => [m.definition, m.file.path]));
  const steps: [path: string, statement: string][] = [
    ...[project.dataSource, ...project.rollups].map((ds): [string, string] => [
      ds.file.path,
      createTableSql(ds.definition),
    ]),
    ...views.map((view): [string, string] => [pathOf.get(view) ?? view.name, materializedViewSql(view)]),
  ];
  let building = "";
  yield* sql(`DROP DATABASE IF EXISTS ${ident(scratch)}`);
  yield* sql(`CREATE DATABASE ${ident(scratch)} ENGINE = Atomic`);
  yield* sql(`USE ${ident(scratch)}`);
  try {
    for (const [path, statement] of steps) {
      building = path;
      yield* sql(statement);
    }
  } catch (error) {
    throw new ProjectSyncError(
      `the datafiles do not build on ClickHouse (${firstLine(error)}); nothing was changed. ` +
        `Fix: correct tinybird/${building}, which ClickHouse refused`,
      { cause: error },
    );
  } finally {
    yield* sql(`USE ${ident(database)}`);
    yield* sql(`DROP DATABASE IF EXISTS ${ident(scratch)} SYNC`);
  }
}

function* count(table: string): SqlSteps<number> {
  return Number((yield* sql(`SELECT count() FROM ${ident(table)}`)).trim());
}

/**
 * Tinybird's populate: the pipe's query over the stored rows into its target, one partition of the
 * landing data source at a time (additional_table_filters restricts every read of it in the query).
 */
function* populate(
  view: PipeDefinition,
  landing: DataSourceDefinition,
  progress: (line: string) => void,
): SqlSteps<void> {
  const select = materializedSelect(view);
  const insert = `INSERT INTO ${ident(materializedTarget(view))}\n${select}`;
  if (!reads(select, landing.name) || !landing.engineSettings.partition_key) {
    yield* sql(insert);
    return;
  }
  const partitions = (yield* rows<{ p: string }>(
    `SELECT DISTINCT _partition_id AS p FROM ${ident(landing.name)} ORDER BY p`,
  )).map((r) => r.p);
  for (const [i, partition] of partitions.entries()) {
    const filter = `_partition_id = ${literal(partition)}`;
    yield* sql(
      `${insert}\nSETTINGS additional_table_filters = {${literal(landing.name)}: ${literal(filter)}}`,
    );
    if (partitions.length > 4 && (i + 1) % 4 === 0)
      progress(`${view.name}: ${i + 1}/${partitions.length} partitions`);
  }
}

/**
 * Moves the rows of `from` into `to` (the landing data source's new table). With a column holding
 * the whole line (`json:$`) in both, every stored line is ingested again through the new jsonpaths,
 * exactly as if it arrived now; otherwise the columns both have are copied (CAST to the new type)
 * and new columns take their DEFAULT. Throws ProjectSyncError, naming the fix, when rows do not fit.
 */
function* fillLanding(
  landing: DataSourceDefinition,
  from: string,
  to: string,
  database: string,
  progress: (line: string) => void,
): SqlSteps<{ rows: number; how: string }> {
  const oldColumns = new Map(
    (yield* rows<{ name: string; type: string }>(
      `SELECT name, type FROM system.columns WHERE database = ${literal(database)} AND table = ${literal(from)}`,
    )).map((c) => [c.name, c.type]),
  );
  const whole = landing.columns.find((c) => c.jsonPath === "$" && oldColumns.get(c.name) === "String");
  if (!whole) {
    const common = landing.columns.filter((c) => oldColumns.has(c.name));
    if (common.length === 0)
      throw new ProjectSyncError(
        `${from} shares no column with ${landing.name}: it holds another project's events; start from an empty data folder (delete it, or choose another)`,
      );
    const list = common.map((c) => ident(c.name)).join(", ");
    const values = common.map((c) => `CAST(${ident(c.name)} AS ${c.type}) AS ${ident(c.name)}`).join(", ");
    try {
      yield* sql(`INSERT INTO ${ident(to)} (${list}) SELECT ${values} FROM ${ident(from)}`);
    } catch (error) {
      throw new ProjectSyncError(
        `the stored rows of ${from} do not fit the new schema of ${landing.name} (${firstLine(error)}): ` +
          "change the datafile so they do, or start from an empty data folder",
        { cause: error },
      );
    }
    return { rows: yield* count(to), how: `copied column by column (${common.length} columns kept)` };
  }
  // Merges would move rows between parts while they are read part by part.
  yield* sql(`SYSTEM STOP MERGES ${ident(from)}`);
  let moved = 0;
  let misfits = 0;
  let firstMisfit = "";
  try {
    const parts = yield* rows<{ name: string; rows: number }>(
      `SELECT name, rows FROM system.parts WHERE database = ${literal(database)} AND table = ${literal(from)} AND active ORDER BY name`,
    );
    const total = parts.reduce((sum, p) => sum + Number(p.rows), 0);
    for (const part of parts) {
      for (let offset = 0; offset < Number(part.rows); offset += MIGRATION_CHUNK) {
        const lines = (yield* rows<{ line: string }>(
          `SELECT ${ident(whole.name)} AS line FROM ${ident(from)} WHERE _part = ${literal(part.name)} AND _part_offset >= ${offset} AND _part_offset < ${offset + MIGRATION_CHUNK}`,
        )).map((r) => r.line);
        const result: IngestResult = yield* ingestSteps(landing, lines, {
          table: to,
          blockSize: MIGRATION_CHUNK,
        });
        moved += result.inserted;
        misfits += result.quarantined.length;
        firstMisfit ||= result.quarantined[0]?.error ?? "";
        if (total > 4 * MIGRATION_CHUNK)
          progress(`${landing.name}: ${moved + misfits}/${total} stored events re-ingested`);
      }
    }
  } finally {
    yield* sql(`SYSTEM START MERGES ${ident(from)}`);
  }
  if (misfits > 0)
    throw new ProjectSyncError(
      `${misfits} stored events do not fit the new schema of ${landing.name} (the first: ${firstMisfit}): ` +
        "change the datafile so they do (e.g. a DEFAULT), or start from an empty data folder",
    );
  return { rows: moved, how: `re-ingested from ${whole.name} through the new jsonpaths` };
}

// -------------------------------------------------------------------------------------------------
// A project in a chDB session, synchronously: the analytics tests and the benches.

export interface LocalTinybird {
  session: Session;
  project: TinybirdProject;
  /** The ClickHouse database holding the project (chDB allows one session per process). */
  database: string;
}

/**
 * Loads the datafiles under `root` and builds them in `session` (`database`, "default" unless
 * given, keeps several projects apart in one session); `dataSourceName` deploys under another
 * name, as a stack with TINYBIRD_DATASOURCE does.
 */
export function loadTinybirdProject(
  session: Session,
  root: string,
  options: { dataSourceName?: string; database?: string } = {},
): LocalTinybird {
  const project = loadProject(root, options.dataSourceName ? { dataSourceName: options.dataSourceName } : {});
  const database = options.database ?? "default";
  runOnSession(session, syncProject(project, { database }));
  return { session, project, database };
}

/** Runs SQL in the project's database and parses its rows (JSONEachRow). */
export function querySql<T = Record<string, unknown>>(local: LocalTinybird, text: string): T[] {
  local.session.query(`USE ${ident(local.database)}`);
  return runOnSession(local.session, rows<T>(text));
}

/**
 * Appends NDJSON lines (or objects) to the landing data source as the Events API would (see
 * `ingestSteps`), in blocks of `blockSize` rows in the given order, each firing the views once.
 */
export function ingest(
  local: LocalTinybird,
  events: (string | object)[],
  options: Pick<IngestOptions, "blockSize"> = {},
): IngestResult {
  return runOnSession(
    local.session,
    ingestSteps(local.project.dataSource.definition, events, { ...options, database: local.database }),
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
