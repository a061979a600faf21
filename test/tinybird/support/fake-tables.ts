/**
 * The Forward stand-in's data, on real ClickHouse (chDB): the live deployment's data sources as
 * tables in one database, its materialized pipes as materialized views (an insert into the landing
 * table fills the rollups, as Tinybird's ingestion does), and a deployment's effects applied when it
 * is promoted: ALTERs, rewrites through a FORWARD_QUERY, rollups rebuilt and populated by their view
 * from the stored rows. It also runs the checks Tinybird makes on SQL before a deployment is
 * created: each view's columns against its target, each FORWARD_QUERY's columns against the schema.
 */
import type { Session } from "chdb";
import { createTableSql, type IngestResult, ingestSteps } from "../../../tinybird-model/clickhouse";
import type { DataSourceDefinition } from "../../../tinybird-model/datasource-file";
import type { PipeDefinition } from "../../../tinybird-model/pipe-file";
import { runOnSession } from "../../../tinybird-model/sql-steps";
import type { Plan } from "./fake-plan";
import { describeSelect, viewSql, viewTargetMismatches } from "./view-columns";

let databases = 0;

export class FakeTables {
  readonly database = `tb_fake_${process.pid}_${++databases}`;

  constructor(readonly session: Session) {
    session.query("SET session_timezone = 'UTC'");
    session.query(`CREATE DATABASE \`${this.database}\``);
  }

  private exec(sql: string): void {
    this.session.query(`USE \`${this.database}\``);
    this.session.query(sql);
  }

  query<T = Record<string, unknown>>(sql: string): T[] {
    this.session.query(`USE \`${this.database}\``);
    return this.session
      .query(sql, "JSONEachRow")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as T);
  }

  count(table: string): number {
    return Number(this.query<{ n: number }>(`SELECT count() AS n FROM \`${table}\``)[0]!.n);
  }

  ingest(ds: DataSourceDefinition, events: (string | object)[]): IngestResult {
    return runOnSession(this.session, ingestSteps(ds, events, { database: this.database }));
  }

  /**
   * Tinybird's SQL checks of a planned deployment, one ERROR line each: every view writes exactly
   * its target's columns (on scratch tables made from the new datafiles), and every FORWARD_QUERY
   * yields exactly the new schema's columns from the live table.
   */
  check(plan: Plan, key: string): { resource: string; message: string }[] {
    // The same datafiles over the same live tables give the same answer (a run checks, then deploys).
    const cached = this.checked.get(key);
    if (cached) return cached;
    const problems = this.runChecks(plan);
    this.checked.set(key, problems);
    return problems;
  }

  private readonly checked = new Map<string, { resource: string; message: string }[]>();
  /** A view's verdict by everything it depends on (its SQL, every table's definition): checked once. */
  private readonly views = new Map<string, string[]>();

  private runChecks(plan: Plan): { resource: string; message: string }[] {
    const problems: { resource: string; message: string }[] = [];
    const tables = JSON.stringify([...plan.datasources.values()].map((d) => [d.name, d.columns, d.engine]));
    const pending: { pipe: PipeDefinition; ds: DataSourceDefinition; key: string }[] = [];
    for (const pipe of plan.pipes.values()) {
      const ds = plan.datasources.get(targetOf(pipe) ?? "");
      if (ds) pending.push({ pipe, ds, key: `${viewSql(pipe)}\0${ds.name}\0${tables}` });
    }
    const unchecked = pending.filter((v) => !this.views.has(v.key));
    if (unchecked.length > 0) {
      const scratch = `${this.database}_check`;
      this.session.query(`DROP DATABASE IF EXISTS \`${scratch}\``);
      this.session.query(`CREATE DATABASE \`${scratch}\``);
      try {
        this.session.query(`USE \`${scratch}\``);
        for (const ds of plan.datasources.values()) this.session.query(createTableSql(ds));
        for (const { pipe, ds, key } of unchecked) {
          try {
            const written = describeSelect(this.session, scratch, viewSql(pipe));
            this.views.set(
              key,
              viewTargetMismatches(written, ds).map((m) => `materialized view into ${ds.name}: ${m}`),
            );
          } catch (error) {
            this.views.set(key, [firstLine(error)]);
          }
        }
      } finally {
        this.session.query(`DROP DATABASE IF EXISTS \`${scratch}\``);
      }
    }
    for (const { pipe, key } of pending) {
      for (const message of this.views.get(key)!)
        problems.push({ resource: `Pipe ${pipe.name}.pipe`, message });
    }
    for (const fq of plan.forwardQueries) {
      try {
        const got = describeSelect(this.session, this.database, `${fq.select} FROM \`${fq.name}\``).map(
          (c) => c.name,
        );
        if ([...got].sort().join() !== [...fq.columns].sort().join()) {
          problems.push({
            resource: `Datasource ${fq.filename.slice(fq.filename.lastIndexOf("/") + 1)}`,
            message: `FORWARD_QUERY columns don't match datasource schema (query: ${got.join(", ")}; schema: ${fq.columns.join(", ")})`,
          });
        }
      } catch (error) {
        problems.push({
          resource: `Datasource ${fq.name}.datasource`,
          message: `FORWARD_QUERY: ${firstLine(error)}`,
        });
      }
    }
    return problems;
  }

  /** Applies a promoted deployment's plan to the live tables; returns the rollups it populated. */
  promote(plan: Plan, live: Plan | undefined): string[] {
    this.checked.clear();
    // The views a change touches come down first (a rewritten or dropped table must not feed an old
    // one) and go up last; a rewritten or dropped landing table touches them all.
    const touched = new Set(plan.actions.filter((a) => a.kind !== "create").map((a) => a.name));
    const views = (of: Plan | undefined) => [...(of?.pipes.values() ?? [])].filter((p) => targetOf(p));
    const sameView = (p: PipeDefinition) => {
      const before = live?.pipes.get(p.name);
      return before !== undefined && viewSql(before) === viewSql(p) && targetOf(before) === targetOf(p);
    };
    const landingChanged = plan.actions.some(
      (a) => (a.kind === "rewrite" || a.kind === "drop") && !views(live).some((p) => targetOf(p) === a.name),
    );
    const keep = new Set(
      views(plan)
        .filter((p) => !landingChanged && sameView(p) && !touched.has(targetOf(p)!))
        .map((p) => p.name),
    );
    for (const pipe of views(live)) {
      if (!keep.has(pipe.name)) this.exec(`DROP VIEW IF EXISTS \`${pipe.name}\``);
    }
    for (const action of plan.actions) {
      const ds = plan.datasources.get(action.name);
      switch (action.kind) {
        case "create":
          this.exec(createTableSql(ds!));
          break;
        case "drop":
          this.exec(`DROP TABLE IF EXISTS \`${action.name}\``);
          break;
        case "alter":
          for (const c of action.add) {
            const def = c.defaultExpression !== undefined ? ` DEFAULT ${c.defaultExpression}` : "";
            this.exec(`ALTER TABLE \`${action.name}\` ADD COLUMN \`${c.name}\` ${c.type}${def}`);
          }
          for (const c of action.drop) this.exec(`ALTER TABLE \`${action.name}\` DROP COLUMN \`${c}\``);
          for (const c of action.nullable)
            this.exec(`ALTER TABLE \`${action.name}\` MODIFY COLUMN \`${c.name}\` ${c.type}`);
          break;
        case "rewrite": {
          const fresh = `${action.name}__rewritten`;
          this.exec(createTableSql(ds!, fresh));
          const names = describeSelect(
            this.session,
            this.database,
            `${action.select} FROM \`${action.name}\``,
          ).map((c) => `\`${c.name}\``);
          this.exec(
            `INSERT INTO \`${fresh}\` (${names.join(", ")}) ${action.select} FROM \`${action.name}\``,
          );
          this.exec(`EXCHANGE TABLES \`${fresh}\` AND \`${action.name}\``);
          this.exec(`DROP TABLE \`${fresh}\``);
          break;
        }
        case "rebuild":
          this.exec(`DROP TABLE IF EXISTS \`${action.name}\``);
          this.exec(createTableSql(ds!));
          break;
      }
    }
    // A view over landing tables this deployment creates has no stored rows to populate from.
    const fresh = new Set(plan.actions.filter((a) => a.kind === "create").map((a) => a.name));
    const targets = new Set(views(plan).map((v) => targetOf(v)));
    const sources = (sql: string) =>
      [...plan.datasources.keys()].filter((n) => !targets.has(n) && new RegExp(`\\b${n}\\b`).test(sql));
    for (const { target, view } of plan.populate) {
      if (sources(viewSql(plan.pipes.get(view)!)).every((n) => fresh.has(n))) continue;
      const sql = viewSql(plan.pipes.get(view)!);
      const names = describeSelect(this.session, this.database, sql).map((c) => `\`${c.name}\``);
      this.exec(`TRUNCATE TABLE \`${target}\``);
      this.exec(`INSERT INTO \`${target}\` (${names.join(", ")}) ${sql}`);
    }
    for (const pipe of views(plan)) {
      if (!keep.has(pipe.name)) {
        this.exec(`CREATE MATERIALIZED VIEW \`${pipe.name}\` TO \`${targetOf(pipe)}\` AS\n${viewSql(pipe)}`);
      }
    }
    return plan.populate.map((p) => p.target);
  }

  close(): void {
    this.session.query(`DROP DATABASE IF EXISTS \`${this.database}\``);
  }
}

const targetOf = (p: PipeDefinition) => p.nodes.find((n) => n.name === p.materializedNode)?.datasource;

const firstLine = (error: unknown) =>
  String((error as Error)?.message ?? error)
    .split("\n")[0]!
    .slice(0, 300);
