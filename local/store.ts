/**
 * The local stand-in for a Tinybird workspace: an embedded ClickHouse (chDB) session kept in a
 * folder, holding the project the `tinybird/` datafiles define (tinybird-model/chdb-project.ts),
 * kept up to date with them without losing the data. Ingestion is Tinybird's, row by row
 * (tinybird-model/clickhouse.ts): lines that do not fit go to `<name>_quarantine`. Appends that
 * arrive together share one INSERT (group commit), each answered once that INSERT committed; an
 * endpoint call renders its pipe's template and answers in Tinybird's JSON shape. Every answer is a
 * value (status + body).
 *
 * chDB runs each query on its own thread (queryAsync), one at a time per session: every use of the
 * session goes through one queue, so an insert, an endpoint call and a rebuild never overlap.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Session } from "chdb";
import { type SyncReport, syncProject } from "../tinybird-model/chdb-project";
import { type IngestResult, ingestSteps } from "../tinybird-model/clickhouse";
import type { DataSourceDefinition } from "../tinybird-model/datasource-file";
import type { TinybirdProject } from "../tinybird-model/project";
import { clickHouseMessage, ident, runOnSessionAsync, type SqlSteps } from "../tinybird-model/sql-steps";
import { pinClock, renderPipeSql, TemplateError } from "../tinybird-model/template";
import {
  type DamagedPart,
  type DamagedPartsChoice,
  findDamagedParts,
  setDamagedPartsAside,
} from "./damaged-parts";
import { GroupCommit } from "./group-commit";

/** An HTTP answer in Tinybird's shape. */
export interface StoreAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface StoreOptions {
  /** Folder the data lives in; created when missing. */
  dataDir: string;
  project: TinybirdProject;
  /** Pins now()/today() in endpoint queries (tests); the real clock otherwise. */
  now?: () => Date;
  /** What to do with parts chDB found damaged at start; without a choice the store refuses to open. */
  damagedParts?: DamagedPartsChoice;
  /**
   * Group commit: after a quiet moment, a group closes once no append arrived for this long (default
   * 2 ms); under load, once the senders of the last INSERT are back; at most 25 ms after it could be written.
   */
  groupWindowMs?: number;
  /** Progress of a long rebuild. */
  progress?: (line: string) => void;
}

export type OpenedStore =
  | { ok: true; store: LocalStore; report: SyncReport; damaged: DamagedPart[] }
  | { ok: false; problem: string };

const DATABASE = "tinybird";
/** Lines per INSERT: a group stops growing here (a bigger single request is still one group). */
const GROUP_LINES = 5_000;
/** The longest a group of appends waits for more once an INSERT could start (a fraction of one INSERT). */
const GROUP_MAX_DELAY_MS = 25;
const ERROR_DOCS = "https://www.tinybird.co/docs/api-reference/pipe-api";
// Tinybird prints 64-bit integers as JSON numbers; ClickHouse's JSON format would quote them.
const JSON_SETTINGS =
  "SETTINGS output_format_json_quote_64bit_integers = 0, output_format_json_quote_denormals = 0";

const error = (status: number, message: string, extra: Record<string, unknown> = {}): StoreAnswer => ({
  status,
  body: { error: message, ...extra },
});

interface Append {
  lines: string[];
}

export class LocalStore {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly groups = new Map<string, GroupCommit<Append, StoreAnswer>>();
  private project: TinybirdProject;
  private dataSources: Map<string, DataSourceDefinition>;

  private constructor(
    private readonly session: Session,
    private readonly options: StoreOptions,
  ) {
    this.project = options.project;
    this.dataSources = dataSourcesOf(options.project);
  }

  /**
   * Opens (or creates) the store in `dataDir` and brings it in line with the datafiles, keeping the
   * data. Refuses, naming the choices, when chDB set damaged parts aside at start.
   */
  static async open(options: StoreOptions): Promise<OpenedStore> {
    mkdirSync(options.dataDir, { recursive: true });
    // The first versions' schema hash: the tables' comments say what they were built from now.
    rmSync(join(options.dataDir, "schema.sha256"), { force: true });
    let session: Session;
    try {
      session = new Session(options.dataDir);
    } catch (cause) {
      const message = clickHouseMessage(cause);
      return {
        ok: false,
        problem: /Cannot lock file/.test(message)
          ? `${options.dataDir} is in use by another process (${message}): stop the other npm start, or give this one its own folder (LOCAL_DATA_DIR)`
          : `cannot open the local store in ${options.dataDir}: ${message}`,
      };
    }
    const store = new LocalStore(session, options);
    try {
      const damaged = await store.run(async () =>
        findDamagedParts(session, DATABASE, options.project.dataSource.definition.name),
      );
      if (damaged.length > 0 && !options.damagedParts) {
        store.closeSession();
        return { ok: false, problem: damagedPartsProblem(damaged, options.dataDir) };
      }
      if (damaged.length > 0) setDamagedPartsAside(damaged, options.damagedParts!, options.dataDir);
      const report = await store.run(() =>
        runOnSessionAsync(
          session,
          syncProject(options.project, {
            database: DATABASE,
            ...(damaged.length > 0 ? { refillAll: true } : {}),
            ...(options.progress ? { progress: options.progress } : {}),
          }),
        ),
      );
      return { ok: true, store, report, damaged };
    } catch (cause) {
      store.closeSession();
      return { ok: false, problem: `cannot build the local store: ${(cause as Error).message}` };
    }
  }

  /** Runs `work` on the session once everything queued before it has finished. */
  private run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => {});
    return result;
  }

  private steps<T>(steps: SqlSteps<T>): Promise<T> {
    return this.run(() => runOnSessionAsync(this.session, steps));
  }

  /**
   * Applies changed datafiles while running: rebuilds what they change from the stored events
   * (waiting for the appends in progress; appends wait for it). On failure the store keeps serving
   * the project it had.
   */
  async reload(project: TinybirdProject): Promise<SyncReport> {
    const report = await this.steps(
      syncProject(project, {
        database: DATABASE,
        ...(this.options.progress ? { progress: this.options.progress } : {}),
      }),
    );
    this.project = project;
    this.dataSources = dataSourcesOf(project);
    return report;
  }

  /**
   * `POST /v0/events?name=…`: appends NDJSON lines; answers `{successful_rows, quarantined_rows}`
   * once the INSERT holding them committed (shared with the appends that arrived meanwhile).
   */
  append(name: string, body: string): Promise<StoreAnswer> {
    if (!this.dataSources.has(name))
      return Promise.resolve(error(404, `Data Source "${name}" does not exist`));
    const lines = body.split("\n").filter((line) => line.trim() !== "");
    let group = this.groups.get(name);
    if (!group) {
      group = new GroupCommit<Append, StoreAnswer>({
        commit: (appends) => this.commit(name, appends),
        windowMs: this.options.groupWindowMs ?? 2,
        maxDelayMs: GROUP_MAX_DELAY_MS,
        weight: (append) => append.lines.length,
        maxWeight: GROUP_LINES,
      });
      this.groups.set(name, group);
    }
    return group
      .submit({ lines })
      .catch((cause: unknown) => error(500, `writing to ${name} failed: ${clickHouseMessage(cause)}`));
  }

  /** One INSERT for every append of the group; each answered with its own counts. */
  private async commit(name: string, appends: Append[]): Promise<StoreAnswer[]> {
    const ds = this.dataSources.get(name);
    if (!ds) return appends.map(() => error(404, `Data Source "${name}" does not exist`));
    const lines = appends.flatMap((a) => a.lines);
    const result: IngestResult = await this.steps(
      ingestSteps(ds, lines, { database: DATABASE, quarantine: true, blockSize: Math.max(lines.length, 1) }),
    );
    const quarantinedAt = result.quarantined.map((q) => q.index);
    let start = 0;
    return appends.map((append) => {
      const end = start + append.lines.length;
      const quarantined = quarantinedAt.filter((i) => i >= start && i < end).length;
      start = end;
      return {
        status: 200,
        body: { successful_rows: append.lines.length - quarantined, quarantined_rows: quarantined },
      };
    });
  }

  /** Groups written so far and the appends they held. */
  groupStats(name: string): { commits: number; items: number } {
    return { ...(this.groups.get(name)?.stats ?? { commits: 0, items: 0 }) };
  }

  /** `GET /v0/pipes/<name>.json?…`: the endpoint's rows in Tinybird's JSON answer. */
  async callEndpoint(name: string, params: Record<string, string>): Promise<StoreAnswer> {
    const pipe = this.project.pipes.find((p) => p.definition.name === name)?.definition;
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
      const text = await this.run(async () =>
        (await this.session.queryAsync(`${sql}\n${JSON_SETTINGS}`, { format: "JSON" })).text(),
      );
      return { status: 200, body: JSON.parse(text) as Record<string, unknown> };
    } catch (cause) {
      return error(400, `[Error] ${clickHouseMessage(cause)}`, { documentation: ERROR_DOCS });
    }
  }

  /** Rows of a query on the store (tests, the bench's summary). */
  async query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    const text = await this.run(async () =>
      (await this.session.queryAsync(sql, { format: "JSONEachRow" })).text(),
    );
    return text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as T);
  }

  /** Rows of a table. */
  async count(table: string): Promise<number> {
    const [row] = await this.query<{ n: number }>(`SELECT count() AS n FROM ${ident(table)}`);
    return Number(row?.n ?? 0);
  }

  /** Answers every append in progress, then closes the session. */
  async close(): Promise<void> {
    await Promise.all([...this.groups.values()].map((g) => g.drain()));
    await this.queue;
    this.closeSession();
  }

  private closeSession(): void {
    if (this.session.open) this.session.close();
  }
}

function dataSourcesOf(project: TinybirdProject): Map<string, DataSourceDefinition> {
  return new Map([project.dataSource, ...project.rollups].map((ds) => [ds.definition.name, ds.definition]));
}

function damagedPartsProblem(damaged: DamagedPart[], dataDir: string): string {
  const rows = (n: number | undefined) =>
    n === undefined ? "rows unknown" : `${n.toLocaleString("en")} rows`;
  return [
    `chDB found ${damaged.length} damaged part${damaged.length === 1 ? "" : "s"} in ${dataDir} at start and set ${damaged.length === 1 ? "it" : "them"} aside (detached/): ${damaged.length === 1 ? "its" : "their"} rows are missing from the store.`,
    ...damaged.map(
      (d) =>
        `  ${d.table}  ${d.part}  ${rows(d.rows)}${d.landing ? "  (stored events)" : "  (a rollup: rebuilt from the stored events)"}`,
    ),
    "Choose, and start again:",
    "  npm start -- --damaged-parts=set-aside   start without them: the parts move to <data folder>/damaged-parts/ for inspection, the rollups are rebuilt from the stored events",
    "  npm start -- --damaged-parts=delete      the same, deleting the parts",
    `  or delete ${dataDir} to start over`,
  ].join("\n");
}
