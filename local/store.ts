/**
 * The local stand-in for a Tinybird workspace: an embedded ClickHouse (chDB) session kept in a
 * folder, with the tables, materialized views and endpoints the `tinybird/` datafiles define.
 * Ingestion maps NDJSON lines through the datasources' jsonpaths as Tinybird does (bad lines go to
 * `<name>_quarantine`); an endpoint call renders its pipe's template with the request's parameters
 * and answers in Tinybird's JSON shape. Every answer is a value (status + body); nothing throws.
 *
 * chDB runs queries synchronously in this process: fine for one developer, not a server.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Session } from "chdb";
import { createTableSql, tinybirdRow } from "../tinybird-model/clickhouse";
import type { DataSourceDefinition } from "../tinybird-model/datasource-file";
import type { PipeDefinition } from "../tinybird-model/pipe-file";
import { pinClock, renderPipeSql, TemplateError } from "../tinybird-model/template";
import type { LocalProject } from "./datafiles";

/** An HTTP answer in Tinybird's shape. */
export interface StoreAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface StoreOptions {
  /** Folder the data lives in; created when missing. */
  dataDir: string;
  project: LocalProject;
  /** Pins now()/today() in endpoint queries (tests); the real clock otherwise. */
  now?: () => Date;
}

const DATABASE = "tinybird";
const SCHEMA_FILE = "schema.sha256";
const INSERT_BATCH = 5_000;
const ERROR_DOCS = "https://www.tinybird.co/docs/api-reference/pipe-api";
// Tinybird prints 64-bit integers as JSON numbers; ClickHouse's JSON format would quote them.
const JSON_SETTINGS =
  "SETTINGS output_format_json_quote_64bit_integers = 0, output_format_json_quote_denormals = 0";

const error = (status: number, message: string, extra: Record<string, unknown> = {}): StoreAnswer => ({
  status,
  body: { error: message, ...extra },
});

export class LocalStore {
  private readonly session: Session;
  private readonly dataSources: Map<string, DataSourceDefinition>;

  private constructor(private readonly options: StoreOptions) {
    this.session = new Session(options.dataDir);
    this.dataSources = new Map(options.project.dataSources.map((ds) => [ds.name, ds]));
  }

  /**
   * Opens (or creates) the store in `dataDir`. A folder built from other datafiles is refused with
   * the fix, rather than served with tables that no longer match the pipes.
   */
  static open(options: StoreOptions): { ok: true; store: LocalStore } | { ok: false; problem: string } {
    mkdirSync(options.dataDir, { recursive: true });
    const schemaFile = join(options.dataDir, SCHEMA_FILE);
    const built = existsSync(schemaFile) ? readFileSync(schemaFile, "utf8").trim() : undefined;
    if (built !== undefined && built !== options.project.hash) {
      return {
        ok: false,
        problem:
          `${options.dataDir} holds tables built from other tinybird/ datafiles than today's: ` +
          "delete that folder (or set LOCAL_DATA_DIR to a new one) and feed it again",
      };
    }
    const store = new LocalStore(options);
    try {
      store.build();
    } catch (cause) {
      store.close();
      return { ok: false, problem: `cannot build the local store: ${(cause as Error).message}` };
    }
    writeFileSync(schemaFile, `${options.project.hash}\n`);
    return { ok: true, store };
  }

  private exec(sql: string): string {
    return this.session.query(sql, "CSV");
  }

  private build(): void {
    this.exec(`CREATE DATABASE IF NOT EXISTS ${DATABASE} ENGINE = Atomic`);
    this.exec(`USE ${DATABASE}`);
    // Tinybird runs in UTC; the machine may not.
    this.exec("SET session_timezone = 'UTC'");
    for (const ds of this.dataSources.values()) {
      this.exec(createTableSql(ds).replace(/^CREATE TABLE /, "CREATE TABLE IF NOT EXISTS "));
      this.exec(
        `CREATE TABLE IF NOT EXISTS \`${ds.name}_quarantine\` (c__error String, line String, insertion_date DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY insertion_date`,
      );
    }
    for (const view of this.options.project.materialized) {
      const select = renderPipeSql({ ...view.pipe, endpointNode: view.node });
      this.exec(
        `CREATE MATERIALIZED VIEW IF NOT EXISTS \`${view.pipe.name}__mv\` TO \`${view.target}\` AS\n${select}`,
      );
    }
  }

  /** `POST /v0/events?name=…`: appends NDJSON lines; answers `{successful_rows, quarantined_rows}`. */
  append(name: string, body: string): StoreAnswer {
    const ds = this.dataSources.get(name);
    if (!ds) return error(404, `Data Source "${name}" does not exist`);
    const rows: string[] = [];
    const quarantined: string[] = [];
    for (const line of body.split("\n")) {
      if (line.trim() === "") continue;
      const mapped = tinybirdRow(ds.columns, line);
      if ("error" in mapped) quarantined.push(JSON.stringify({ c__error: mapped.error, line }));
      else rows.push(JSON.stringify(mapped.row));
    }
    try {
      for (let start = 0; start < rows.length; start += INSERT_BATCH) {
        this.exec(
          `INSERT INTO \`${name}\` SETTINGS date_time_input_format = 'best_effort' FORMAT JSONEachRow\n${rows
            .slice(start, start + INSERT_BATCH)
            .join("\n")}`,
        );
      }
      if (quarantined.length > 0)
        this.exec(
          `INSERT INTO \`${name}_quarantine\` (c__error, line) FORMAT JSONEachRow\n${quarantined.join("\n")}`,
        );
    } catch (cause) {
      return error(500, `writing to ${name} failed: ${(cause as Error).message}`);
    }
    return { status: 200, body: { successful_rows: rows.length, quarantined_rows: quarantined.length } };
  }

  /** `GET /v0/pipes/<name>.json?…`: the endpoint's rows in Tinybird's JSON answer. */
  callEndpoint(name: string, params: Record<string, string>): StoreAnswer {
    const pipe: PipeDefinition | undefined = this.options.project.endpoints.get(name);
    if (!pipe) return error(404, `The pipe '${name}' does not exist`);
    const { token: _token, ...templateParams } = params;
    let sql: string;
    try {
      sql = renderPipeSql(pipe, templateParams);
      if (this.options.now) sql = pinClock(sql, this.options.now());
    } catch (cause) {
      if (cause instanceof TemplateError) return error(400, cause.message, { documentation: ERROR_DOCS });
      throw cause;
    }
    try {
      const answer = JSON.parse(this.session.query(`${sql}\n${JSON_SETTINGS}`, "JSON")) as Record<
        string,
        unknown
      >;
      return { status: 200, body: answer };
    } catch (cause) {
      return error(400, `[Error] ${(cause as Error).message}`, { documentation: ERROR_DOCS });
    }
  }

  /** Rows of a table, for tests and the seed's summary. */
  count(table: string): number {
    return Number(this.exec(`SELECT count() FROM \`${table}\``).trim());
  }

  close(): void {
    if (this.session.open) this.session.close();
  }
}
