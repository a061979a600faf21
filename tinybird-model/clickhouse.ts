/**
 * Tinybird data sources on real ClickHouse (chDB): the table a parsed `.datasource` becomes, and the
 * one ingestion path (the local store's Events API, the tests, the benches): each NDJSON line mapped
 * through the datafile's jsonpaths as Tinybird does, then typed by ClickHouse's own JSON input (so a
 * time is parsed exactly as ClickHouse parses it: an integer into DateTime64(3) as milliseconds, an
 * ISO-8601 string as that instant), lines that do not fit set aside for `<name>_quarantine` with
 * ClickHouse's error, and the rest inserted. ClickHouse parses a whole INSERT block before it
 * writes any of it, so a line that does not fit fails its INSERT with nothing written and its row
 * number: that line is set aside and the INSERT runs again without it.
 *
 * chDB only works in vitest's forks pool and takes a while to load: open one harness per test file
 * (beforeAll) and close it in afterAll.
 */
import { Session } from "chdb";
import type { ColumnDefinition, DataSourceDefinition } from "./datasource-file";
import {
  clickHouseMessage,
  ident,
  literal,
  rows as rowsOf,
  runOnSession,
  type SqlSteps,
  sql,
} from "./sql-steps";

/** A line Tinybird would not store, with why. */
export interface Quarantined {
  /** Position of the line in what was ingested. */
  index: number;
  line: string;
  error: string;
  /** The column whose value did not fit, when known. */
  column?: string;
}

/** What Tinybird would have done with each line: written, or sent to `<name>_quarantine`. */
export interface IngestResult {
  inserted: number;
  quarantined: Quarantined[];
}

/** A row for JSONEachRow (omitted keys take the column's DEFAULT, as in Tinybird), or why the line cannot be one. */
export type MappedRow = { row: Record<string, unknown> } | { error: string; column?: string };

/**
 * How ClickHouse reads the JSON values: `best_effort` takes ISO-8601 with a zone (what the forwarder
 * sends) as well as `YYYY-MM-DD hh:mm:ss`; an integer into DateTime64(3) is milliseconds either way.
 */
export const INPUT_SETTINGS = "date_time_input_format = 'best_effort'";
const INSERT_BATCH = 5_000;
/**
 * One thread parses an INSERT's input, so that its block is one (max_insert_block_size rows, no
 * byte limit) and a row number in an error counts from the start of the data.
 */
const ONE_BLOCK = "input_format_parallel_parsing = 0";

/** Settings every session holding a project needs: Tinybird runs in UTC. */
export function* prepareSession(): SqlSteps<void> {
  yield* sql("SET session_timezone = 'UTC'");
}

const JSONPATH_STEP = /\.([A-Za-z0-9_$-]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;

/** Evaluates the JSONPath subset datafiles use: `$`, `$.a.b`, `$.a[0]`, `$['a-b']`. */
export function evaluateJsonPath(document: unknown, path: string): unknown {
  if (!path.startsWith("$")) throw new Error(`jsonpath must start with $: ${path}`);
  let value: unknown = document;
  JSONPATH_STEP.lastIndex = 1;
  while (JSONPATH_STEP.lastIndex < path.length) {
    const start = JSONPATH_STEP.lastIndex;
    const step = JSONPATH_STEP.exec(path);
    if (!step) throw new Error(`unsupported jsonpath ${path} at ${path.slice(start)}`);
    if (value === null || typeof value !== "object") return undefined;
    const key = step[1] ?? step[3] ?? step[4];
    value =
      key !== undefined ? (value as Record<string, unknown>)[key] : (value as unknown[])[Number(step[2])];
  }
  return value;
}

function unwrapType(type: string): { base: string; nullable: boolean } {
  let base = type.trim();
  let nullable = false;
  for (;;) {
    const match = /^(LowCardinality|Nullable)\((.*)\)$/s.exec(base);
    if (!match) return { base, nullable };
    if (match[1] === "Nullable") nullable = true;
    base = match[2]!.trim();
  }
}

const isStringType = (base: string) => /^(String|FixedString|UUID|Enum)/.test(base);

/**
 * Maps one NDJSON line to a table row the way Tinybird ingests it: each column takes its jsonpath's
 * value; a missing or null value takes the column's DEFAULT (NULL for a Nullable column without
 * one), and without either the line is quarantined; `json:$` is the whole line; a string column
 * takes an object, array, number or boolean as its JSON text. Every other value goes to ClickHouse
 * as it came, to be typed by ClickHouse's own JSON input (see `ingestSteps`).
 */
export function tinybirdRow(columns: ColumnDefinition[], line: string): MappedRow {
  let document: unknown;
  try {
    document = JSON.parse(line);
  } catch (error) {
    return { error: `not JSON: ${(error as Error).message}` };
  }
  const row: Record<string, unknown> = {};
  for (const column of columns) {
    if (column.jsonPath === undefined) continue;
    const { base, nullable } = unwrapType(column.type);
    const value = column.jsonPath === "$" ? line : evaluateJsonPath(document, column.jsonPath);
    if (value === undefined || value === null) {
      if (column.defaultExpression !== undefined) continue;
      if (nullable) {
        row[column.name] = null;
        continue;
      }
      return {
        error: `column ${column.name}: no value at ${column.jsonPath} and no DEFAULT`,
        column: column.name,
      };
    }
    row[column.name] = isStringType(base) && typeof value !== "string" ? JSON.stringify(value) : value;
  }
  return { row };
}

const ENGINE_ARGUMENTS: Record<string, string[]> = {
  ReplacingMergeTree: ["ver"],
  CollapsingMergeTree: ["sign"],
  VersionedCollapsingMergeTree: ["sign", "version"],
  SummingMergeTree: ["summing_columns"],
};

/**
 * `CREATE TABLE` for a data source, with Tinybird's engine settings as ClickHouse clauses; `comment`
 * is kept on the table (the local store records there what it was built from).
 */
export function createTableSql(ds: DataSourceDefinition, table: string = ds.name, comment?: string): string {
  const columns = ds.columns.map((c) =>
    [
      `${ident(c.name)} ${c.type}`,
      c.defaultExpression !== undefined ? `DEFAULT ${c.defaultExpression}` : "",
      c.codec !== undefined ? `CODEC${c.codec}` : "",
    ]
      .filter(Boolean)
      .join(" "),
  );
  const s = ds.engineSettings;
  const args = (ENGINE_ARGUMENTS[ds.engine] ?? []).map((key) => s[key]).filter(Boolean);
  return [
    `CREATE TABLE ${ident(table)} (\n  ${columns.join(",\n  ")}\n)`,
    `ENGINE = ${ds.engine}(${args.join(", ")})`,
    s.partition_key ? `PARTITION BY ${s.partition_key}` : "",
    s.primary_key ? `PRIMARY KEY (${s.primary_key})` : "",
    `ORDER BY ${s.sorting_key ? `(${s.sorting_key})` : "tuple()"}`,
    s.ttl ? `TTL ${s.ttl}` : "",
    s.settings ? `SETTINGS ${s.settings}` : "",
    comment !== undefined ? `COMMENT ${literal(comment)}` : "",
  ]
    .filter(Boolean)
    .join("\n");
}

/** The error columns of Tinybird's `<name>_quarantine`; every data source column follows as Nullable(String). */
const QUARANTINE_COLUMNS = [
  "`c__error_column` Array(String)",
  "`c__error` Array(String)",
  "`c__import_id` Nullable(String)",
  "`insertion_date` DateTime DEFAULT now()",
];

/** Tinybird's quarantine table for a data source: why, when, and each column's value as text. */
export function quarantineTableSql(ds: DataSourceDefinition, table = `${ds.name}_quarantine`): string {
  const columns = [...QUARANTINE_COLUMNS, ...ds.columns.map((c) => `${ident(c.name)} Nullable(String)`)];
  return `CREATE TABLE IF NOT EXISTS ${ident(table)} (\n  ${columns.join(",\n  ")}\n) ENGINE = MergeTree ORDER BY insertion_date`;
}

/** Each column's value in a quarantined line, as text (NULL where the line has none). */
function quarantineValues(columns: ColumnDefinition[], line: string): Record<string, string | null> {
  let document: unknown;
  try {
    document = JSON.parse(line);
  } catch {
    document = undefined;
  }
  const values: Record<string, string | null> = {};
  for (const column of columns) {
    if (column.jsonPath === undefined) continue;
    const value =
      column.jsonPath === "$"
        ? line
        : document === undefined
          ? undefined
          : evaluateJsonPath(document, column.jsonPath);
    values[column.name] =
      value === undefined || value === null
        ? null
        : typeof value === "string"
          ? value
          : JSON.stringify(value);
  }
  return values;
}

export interface IngestOptions {
  /** The table to insert into (the data source's name by default). */
  table?: string;
  /** Its database (the session's current one by default). */
  database?: string;
  /** Rows per INSERT: each INSERT is one block for the materialized views (default 5,000). */
  blockSize?: number;
  /** Write the lines that do not fit into `<table>_quarantine` (created when missing), as Tinybird does. */
  quarantine?: boolean;
  /**
   * Told the rows of each INSERT once it committed, as the JSONEachRow lines sent (see
   * `insertJsonRows`), to insert them elsewhere too: before anything after it can fail.
   */
  onInserted?: (rows: string[]) => void;
}

interface MappedLine {
  index: number;
  line: string;
  /** The row for the INSERT. */
  json: string;
}

export const qualified = (database: string | undefined, table: string) =>
  database === undefined ? ident(table) : `${ident(database)}.${ident(table)}`;

/**
 * ClickHouse's reading of a row that does not fit (from a check's error), or undefined for a failure
 * that is not about one row.
 */
function misfit(
  error: unknown,
  rows: MappedLine[],
): { position: number; error: string; column?: string } | undefined {
  const message = clickHouseMessage(error);
  const at = /\(at row (\d+)\)/.exec(message);
  if (!at) return undefined;
  const position = Number(at[1]) - 1;
  const row = rows[position];
  if (!row) return undefined;
  const key = /\(while reading the value of key ([^)]+)\)/.exec(message)?.[1];
  const reason = message
    .replace(/:?\s*\(while reading the value of key [^)]+\)/, "")
    .replace(/:?\s*\(at row \d+\)/, "")
    .replace(/:\s*$/, "")
    .trim();
  if (key === undefined) return { position, error: reason };
  const value = (JSON.parse(row.json) as Record<string, unknown>)[key];
  return {
    position,
    column: key,
    error: `column ${key}: ${JSON.stringify(value)?.slice(0, 100)} does not fit: ${reason}`,
  };
}

/**
 * INSERTs the rows, `blockSize` per INSERT: a row ClickHouse refuses fails its INSERT before
 * anything of it is written; it joins `quarantined` and the INSERT runs again from the next row.
 * Returns the rows inserted.
 */
function* insertRows(
  target: string,
  rows: MappedLine[],
  blockSize: number,
  quarantined: Quarantined[],
  onInserted: (rows: string[]) => void,
): SqlSteps<number> {
  let inserted = 0;
  for (let start = 0; start < rows.length; start += blockSize) {
    let block = rows.slice(start, start + blockSize);
    while (block.length > 0) {
      try {
        const lines = block.map((r) => r.json);
        yield* insertJsonRows(target, lines);
        inserted += block.length;
        onInserted(lines);
        block = [];
      } catch (error) {
        const bad = misfit(error, block);
        if (!bad) throw error;
        const row = block[bad.position]!;
        quarantined.push({
          index: row.index,
          line: row.line,
          error: bad.error,
          ...(bad.column !== undefined ? { column: bad.column } : {}),
        });
        block = [...block.slice(0, bad.position), ...block.slice(bad.position + 1)];
      }
    }
  }
  return inserted;
}

/**
 * One INSERT of rows mapped by `tinybirdRow` (JSONEachRow lines) into `target` (a qualified name),
 * read as the Events API reads them; one block, so the materialized views run once.
 */
export function* insertJsonRows(target: string, lines: readonly string[]): SqlSteps<void> {
  yield* sql(
    `INSERT INTO ${target} SETTINGS ${INPUT_SETTINGS}, ${ONE_BLOCK} FORMAT JSONEachRow\n${lines.join("\n")}`,
  );
}

/** Writes quarantined lines to `table`, creating it (or adding the data source's new columns). */
function* writeQuarantine(
  ds: DataSourceDefinition,
  quarantined: Quarantined[],
  database: string | undefined,
  table: string,
): SqlSteps<void> {
  const where = `${database === undefined ? "database = currentDatabase()" : `database = ${literal(database)}`} AND table = ${literal(table)}`;
  const existing = new Set(
    (yield* rowsOf<{ name: string }>(`SELECT name FROM system.columns WHERE ${where}`)).map((c) => c.name),
  );
  const target = qualified(database, table);
  if (existing.size > 0 && !existing.has("c__error_column")) {
    // A quarantine table of the store's first versions (c__error String, line String): kept aside.
    yield* sql(`RENAME TABLE ${target} TO ${qualified(database, `${table}_v1`)}`);
    existing.clear();
  }
  if (existing.size === 0) yield* sql(quarantineTableSql(ds, table).replace(ident(table), target));
  else
    for (const column of ds.columns)
      if (!existing.has(column.name))
        yield* sql(`ALTER TABLE ${target} ADD COLUMN IF NOT EXISTS ${ident(column.name)} Nullable(String)`);
  const lines = quarantined.map((q) =>
    JSON.stringify({
      ...quarantineValues(ds.columns, q.line),
      c__error_column: q.column === undefined ? [] : [q.column],
      c__error: [q.error],
    }),
  );
  yield* sql(`INSERT INTO ${target} FORMAT JSONEachRow\n${lines.join("\n")}`);
}

/**
 * Ingests events (NDJSON lines or objects) as Tinybird's Events API does: each line mapped through
 * the jsonpaths and typed by ClickHouse before any of its block is written; the lines that fit are
 * inserted in order, `blockSize` rows per INSERT (at most max_insert_block_size, ~1M, so each is one
 * block); the others are returned (and, with `quarantine`, written to `<table>_quarantine`) with
 * their error.
 */
export function* ingestSteps(
  ds: DataSourceDefinition,
  events: readonly (string | object)[],
  options: IngestOptions = {},
): SqlSteps<IngestResult> {
  const table = options.table ?? ds.name;
  const quarantined: Quarantined[] = [];
  const mapped: MappedLine[] = [];
  events.forEach((event, index) => {
    const line = typeof event === "string" ? event : JSON.stringify(event);
    const result = tinybirdRow(ds.columns, line);
    if ("row" in result) mapped.push({ index, line, json: JSON.stringify(result.row) });
    else
      quarantined.push({
        index,
        line,
        error: result.error,
        ...(result.column ? { column: result.column } : {}),
      });
  });
  const inserted = yield* insertRows(
    qualified(options.database, table),
    mapped,
    options.blockSize ?? INSERT_BATCH,
    quarantined,
    options.onInserted ?? (() => {}),
  );
  quarantined.sort((a, b) => a.index - b.index);
  if (options.quarantine && quarantined.length > 0)
    yield* writeQuarantine(ds, quarantined, options.database, `${table}_quarantine`);
  return { inserted, quarantined };
}

export class ClickHouseHarness {
  readonly session = new Session();

  constructor() {
    runOnSession(this.session, prepareSession());
  }

  exec(sql: string): void {
    this.session.query(sql);
  }

  query<T = Record<string, unknown>>(text: string): T[] {
    return runOnSession(this.session, rowsOf<T>(text));
  }

  /** Creates the data source's table (named after it unless `table` is given). */
  createTable(ds: DataSourceDefinition, table: string = ds.name): void {
    this.exec(createTableSql(ds, table));
  }

  /** Ingests events (NDJSON lines or objects) as Tinybird's Events API would. */
  ingest(ds: DataSourceDefinition, events: (string | object)[], table: string = ds.name): IngestResult {
    return runOnSession(this.session, ingestSteps(ds, events, { table }));
  }

  close(): void {
    if (this.session.open) this.session.cleanup();
  }
}

/** Opens a harness with its own chDB session (temporary directory, removed by `close`). */
export function openClickHouse(): ClickHouseHarness {
  return new ClickHouseHarness();
}
