/**
 * Real ClickHouse (chDB) standing in for a Tinybird data source: the table is created from a parsed
 * `.datasource`, and NDJSON lines go in through the same jsonpath mapping Tinybird's ingestion
 * applies, so SQL written for Tinybird (the pipes) can run against realistic rows.
 *
 * chDB only works in vitest's forks pool and takes a while to load: open one harness per test file
 * (beforeAll) and close it in afterAll.
 */
import { Session } from "chdb";
import type { ColumnDefinition, DataSourceDefinition } from "./datasource-file";

/** What Tinybird would have done with each line: written, or sent to `<name>_quarantine`. */
export interface IngestResult {
  inserted: number;
  quarantined: { line: string; error: string }[];
}

/** A row for JSONEachRow: omitted keys take the column's DEFAULT, as in Tinybird. */
export type MappedRow = { row: Record<string, unknown> } | { error: string };

// An epoch number past the 32-bit seconds range (year 2106) can only be milliseconds: Tinybird
// reads epoch numbers as seconds, or as milliseconds when seconds overflow. Clerk's live
// timestamps are milliseconds (1.7e12), its fixtures seconds (1.7e9); both land on the same instant.
const MAX_EPOCH_SECONDS = 4_294_967_295;
const INSERT_BATCH = 5_000;

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

function epochToDateTime(epoch: number): string {
  const ms = Math.abs(epoch) > MAX_EPOCH_SECONDS ? epoch : epoch * 1000;
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}

function convert(value: unknown, base: string): unknown {
  if (/^DateTime(64)?\b/.test(base) && typeof value === "number") return epochToDateTime(value);
  if (/^(String|FixedString|UUID|Enum)/.test(base) && typeof value !== "string") return JSON.stringify(value);
  return value;
}

/**
 * Maps one NDJSON line to a table row the way Tinybird ingests it: each column takes its jsonpath's
 * value; a missing or null value takes the column's DEFAULT (NULL for a Nullable column without
 * one), and without either the line is quarantined; `json:$` is the whole line.
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
      return { error: `column ${column.name}: no value at ${column.jsonPath} and no DEFAULT` };
    }
    row[column.name] = convert(value, base);
  }
  return { row };
}

const ENGINE_ARGUMENTS: Record<string, string[]> = {
  ReplacingMergeTree: ["ver"],
  CollapsingMergeTree: ["sign"],
  VersionedCollapsingMergeTree: ["sign", "version"],
  SummingMergeTree: ["summing_columns"],
};

/** `CREATE TABLE` for a data source, with Tinybird's engine settings as ClickHouse clauses. */
export function createTableSql(ds: DataSourceDefinition, table: string = ds.name): string {
  const columns = ds.columns.map((c) =>
    [
      `\`${c.name}\` ${c.type}`,
      c.defaultExpression !== undefined ? `DEFAULT ${c.defaultExpression}` : "",
      c.codec !== undefined ? `CODEC${c.codec}` : "",
    ]
      .filter(Boolean)
      .join(" "),
  );
  const s = ds.engineSettings;
  const args = (ENGINE_ARGUMENTS[ds.engine] ?? []).map((key) => s[key]).filter(Boolean);
  return [
    `CREATE TABLE \`${table}\` (\n  ${columns.join(",\n  ")}\n)`,
    `ENGINE = ${ds.engine}(${args.join(", ")})`,
    s.partition_key ? `PARTITION BY ${s.partition_key}` : "",
    s.primary_key ? `PRIMARY KEY (${s.primary_key})` : "",
    `ORDER BY ${s.sorting_key ? `(${s.sorting_key})` : "tuple()"}`,
    s.ttl ? `TTL ${s.ttl}` : "",
    s.settings ? `SETTINGS ${s.settings}` : "",
  ]
    .filter(Boolean)
    .join("\n");
}

/**
 * Maps events (NDJSON lines or objects) to rows as Tinybird's Events API would and INSERTs them in
 * order, `blockSize` rows per INSERT (each INSERT is one block for materialized views).
 */
export function insertEvents(
  exec: (sql: string) => void,
  ds: DataSourceDefinition,
  events: (string | object)[],
  options: { table?: string; blockSize?: number } = {},
): IngestResult {
  const result: IngestResult = { inserted: 0, quarantined: [] };
  const rows: string[] = [];
  for (const event of events) {
    const line = typeof event === "string" ? event : JSON.stringify(event);
    const mapped = tinybirdRow(ds.columns, line);
    if ("error" in mapped) result.quarantined.push({ line, error: mapped.error });
    else rows.push(JSON.stringify(mapped.row));
  }
  // Bounded INSERTs keep each query's text small however long the generated history is.
  const block = options.blockSize ?? INSERT_BATCH;
  for (let start = 0; start < rows.length; start += block) {
    exec(
      `INSERT INTO \`${options.table ?? ds.name}\` SETTINGS date_time_input_format = 'best_effort' FORMAT JSONEachRow\n${rows
        .slice(start, start + block)
        .join("\n")}`,
    );
  }
  result.inserted = rows.length;
  return result;
}

export class ClickHouseHarness {
  readonly session = new Session();

  constructor() {
    // Tinybird runs in UTC; the machine running the tests may not.
    this.exec("SET session_timezone = 'UTC'");
  }

  exec(sql: string): void {
    this.session.query(sql);
  }

  query<T = Record<string, unknown>>(sql: string): T[] {
    return this.session
      .query(sql, "JSONEachRow")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as T);
  }

  /** Creates the data source's table (named after it unless `table` is given). */
  createTable(ds: DataSourceDefinition, table: string = ds.name): void {
    this.exec(createTableSql(ds, table));
  }

  /** Ingests events (NDJSON lines or objects) as Tinybird's Events API would. */
  ingest(ds: DataSourceDefinition, events: (string | object)[], table: string = ds.name): IngestResult {
    return insertEvents((sql) => this.exec(sql), ds, events, { table });
  }

  close(): void {
    if (this.session.open) this.session.cleanup();
  }
}

/** Opens a harness with its own chDB session (temporary directory, removed by `close`). */
export function openClickHouse(): ClickHouseHarness {
  return new ClickHouseHarness();
}
