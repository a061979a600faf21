/**
 * The local stand-in for a Tinybird workspace: an embedded ClickHouse (chDB) session kept in a
 * folder, holding the project the `tinybird/` datafiles define (tinybird-model/chdb-project.ts),
 * kept up to date with them without losing the data. Ingestion is Tinybird's, row by row
 * (tinybird-model/clickhouse.ts): lines that do not fit go to `<name>_quarantine`. Appends that
 * arrive together share one INSERT (group commit), each answered once that INSERT committed; an
 * endpoint call renders its pipe's template and answers in Tinybird's JSON shape. Every answer is a
 * value (status + body).
 *
 * The rollups follow the landing table in batches: the views reading it read its Null twin, and the
 * rows stored since the last batch go through them together at most 250 ms later, and before any
 * read of the store. Each INSERT of deliveries thus writes one part instead of one per view; a file
 * in the data folder says, while rows wait, that a crash must rebuild the rollups at the next start
 * (docs/local-and-dashboard.md, "Group commit").
 *
 * chDB runs each query on its own thread (queryAsync), one at a time per session: every use of the
 * session goes through one queue, so an insert, an endpoint call and a rebuild never overlap.
 */
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Session } from "chdb";
import {
  fedViews,
  feedTable,
  RebuildStoppedError,
  type SyncReport,
  syncProject,
} from "../tinybird-model/chdb-project";
import { type IngestResult, ingestSteps, insertJsonRows, qualified } from "../tinybird-model/clickhouse";
import type { DataSourceDefinition } from "../tinybird-model/datasource-file";
import type { TinybirdProject } from "../tinybird-model/project";
import { clickHouseMessage, ident, runOnSessionAsync } from "../tinybird-model/sql-steps";
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
  /** How long stored rows wait for more before the rollups take them (default 250 ms; tests: longer). */
  catchUpDelayMs?: number;
  /** Progress of a long rebuild. */
  progress?: (line: string) => void;
  /** What the developer must know while the store runs (the rollups could not follow the stored events). */
  warn?: (line: string) => void;
}

export type OpenedStore =
  | { ok: true; store: LocalStore; report: SyncReport; damaged: DamagedPart[] }
  | { ok: false; problem: string };

const DATABASE = "tinybird";
/** Lines per INSERT: a group stops growing here (a bigger single request is still one group). */
const GROUP_LINES = 5_000;
/** The longest a group of appends waits for more once an INSERT could start (a fraction of one INSERT). */
const GROUP_MAX_DELAY_MS = 25;
/** The most stored rows that wait for the rollups, and how long the first of them waits. */
const CATCH_UP_ROWS = 10_000;
const CATCH_UP_DELAY_MS = 250;
/** In the data folder while stored rows wait for the rollups: its presence at start rebuilds them. */
export const ROLLUPS_BEHIND_FILE = "rollups-behind";
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
  /** Whether views read the landing table's twin (else they run at every INSERT). */
  private fed = false;
  /** Rows stored in the landing table that the rollups have not seen yet (JSONEachRow lines). */
  private pending: string[] = [];
  private catchUpTimer: NodeJS.Timeout | undefined;
  /** Whether ROLLUPS_BEHIND_FILE is written. */
  private markedBehind = false;
  /** Why the rollups stopped following the stored events, until a rebuild brings them back. */
  private behind: string | undefined;
  private readonly catchUps = { batches: 0, rows: 0 };

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
    // The stored events are readable only through the store's token: not by copying the folder.
    chmodSync(options.dataDir, 0o700);
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
    const unfinished = existsSync(store.behindFile);
    store.markedBehind = unfinished;
    if (unfinished)
      options.progress?.(
        "the rollups were behind the stored events when the last run stopped (it was killed, a materialized pipe failed, or a rebuild stopped part-way): they are rebuilt from the stored events",
      );
    try {
      const damaged = await store.run(async () =>
        findDamagedParts(session, DATABASE, options.project.dataSource.definition.name),
      );
      if (damaged.length > 0 && !options.damagedParts) {
        store.closeSession();
        return { ok: false, problem: damagedPartsProblem(damaged, options.dataDir) };
      }
      if (damaged.length > 0) setDamagedPartsAside(damaged, options.damagedParts!, options.dataDir);
      const report = await store.run(() => store.sync(options.project, damaged.length > 0 || unfinished));
      store.markBehind(false);
      return { ok: true, store, report, damaged };
    } catch (cause) {
      store.closeSession();
      return { ok: false, problem: `cannot build the local store: ${(cause as Error).message}` };
    }
  }

  /**
   * Brings the database in line with `project` (on the queue: the caller runs it there), the views
   * reading the landing table on its twin, and reads whether any does.
   */
  private async sync(project: TinybirdProject, refillAll: boolean): Promise<SyncReport> {
    const report = await runOnSessionAsync(
      this.session,
      syncProject(project, {
        database: DATABASE,
        deferLandingViews: true,
        ...(refillAll ? { refillAll: true } : {}),
        ...(this.options.progress ? { progress: this.options.progress } : {}),
      }),
    );
    this.fed = (await runOnSessionAsync(this.session, fedViews(project, DATABASE))).length > 0;
    return report;
  }

  /** Runs `work` on the session once everything queued before it has finished. */
  private run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => {});
    return result;
  }

  private get behindFile(): string {
    return join(this.options.dataDir, ROLLUPS_BEHIND_FILE);
  }

  /** Writes or removes ROLLUPS_BEHIND_FILE (on the queue, so no insert runs meanwhile). */
  private markBehind(behind: boolean): void {
    if (behind === this.markedBehind) return;
    if (behind)
      writeFileSync(
        this.behindFile,
        "Stored events wait for the rollups: if npm start stops without catching up, the next start rebuilds the rollups.\n",
      );
    else rmSync(this.behindFile, { force: true });
    this.markedBehind = behind;
  }

  /** Rows just stored in the landing table: the rollups take them in the next batch. */
  private stored(rows: string[]): void {
    if (this.behind !== undefined || rows.length === 0) return;
    // One at a time: a spread of 100,000s of arguments overflows the stack.
    for (const row of rows) this.pending.push(row);
    if (this.pending.length >= CATCH_UP_ROWS) this.scheduleCatchUp(0);
    else if (!this.catchUpTimer) this.scheduleCatchUp(this.options.catchUpDelayMs ?? CATCH_UP_DELAY_MS);
  }

  private scheduleCatchUp(delayMs: number): void {
    clearTimeout(this.catchUpTimer);
    this.catchUpTimer = setTimeout(() => void this.catchUp(), delayMs);
  }

  /** Brings the rollups up to date with the stored events, after everything queued before. */
  private catchUp(): Promise<void> {
    clearTimeout(this.catchUpTimer);
    this.catchUpTimer = undefined;
    return this.run(() => this.catchUpNow());
  }

  /** Runs the waiting rows through the views, on the queue; a failure stops the rollups until a rebuild. */
  private async catchUpNow(): Promise<void> {
    if (this.pending.length === 0) {
      // Up to date (an INSERT that failed stored nothing): a restart has nothing to rebuild.
      if (this.behind === undefined) this.markBehind(false);
      return;
    }
    const rows = this.pending;
    this.pending = [];
    const feed = qualified(DATABASE, feedTable(this.project.dataSource.definition.name));
    try {
      await runOnSessionAsync(this.session, insertJsonRows(feed, rows));
      this.catchUps.batches += 1;
      this.catchUps.rows += rows.length;
      this.markBehind(false);
    } catch (cause) {
      this.behind = `the rollups stopped following the stored events: bringing ${rows.length} stored events into them failed (${clickHouseMessage(cause)}). The events are stored; fix the materialized pipe ClickHouse names and save it: npm start then rebuilds the rollups from the stored events (as the next start does, once the pipe is fixed)`;
      this.options.warn?.(this.behind);
    }
  }

  /**
   * Applies changed datafiles while running: rebuilds what they change from the stored events
   * (waiting for the appends in progress; appends wait for it). On failure the store keeps serving
   * the project it had.
   */
  async reload(project: TinybirdProject): Promise<SyncReport> {
    const report = await this.run(async () => {
      // The rollups as they stand are rebuilt only where the datafiles changed: first, up to date.
      await this.catchUpNow();
      let rebuilt: SyncReport;
      try {
        rebuilt = await this.sync(project, this.behind !== undefined);
      } catch (error) {
        // Tables changed before it stopped: the endpoints answer why rather than partial figures,
        // until a rebuild finishes (a saved fix, or the next start, which fills every rollup again).
        if (error instanceof RebuildStoppedError) {
          this.behind = `the rollups are incomplete: ${error.message}. Fix the datafile and save it: npm start then rebuilds the rollups from the stored events (as the next start does)`;
          this.markBehind(true);
        }
        throw error;
      }
      // Appends queued meanwhile are written for this project.
      this.project = project;
      this.dataSources = dataSourcesOf(project);
      this.behind = undefined;
      this.markBehind(false);
      return rebuilt;
    });
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
    const lines = appends.flatMap((a) => a.lines);
    // Decided on the queue: a reload before this INSERT may have changed the project.
    const result: IngestResult | undefined = await this.run(async () => {
      const ds = this.dataSources.get(name);
      if (!ds) return undefined;
      const deferred = this.fed && name === this.project.dataSource.definition.name;
      if (deferred) this.markBehind(true);
      return runOnSessionAsync(
        this.session,
        ingestSteps(ds, lines, {
          database: DATABASE,
          quarantine: true,
          blockSize: Math.max(lines.length, 1),
          ...(deferred ? { onInserted: (rows: string[]) => this.stored(rows) } : {}),
        }),
      );
    });
    if (!result) return appends.map(() => error(404, `Data Source "${name}" does not exist`));
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

  /** Batches of stored events the rollups took so far, and their rows. */
  catchUpStats(): { batches: number; rows: number } {
    return { ...this.catchUps };
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
    await this.catchUp();
    if (this.behind !== undefined) return error(500, this.behind);
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
    await this.catchUp();
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
    await this.catchUp();
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
