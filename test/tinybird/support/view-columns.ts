/**
 * What a materialized view writes, on real ClickHouse: `DESCRIBE (<the view's SELECT>)` over tables
 * made from the datafiles, compared with its target data source's columns, names and types. Tinybird
 * checks the same at deployment; the Forward stand-in and the view-types test both use this.
 */
import type { Session } from "chdb";
import type { DataSourceDefinition } from "../../../tinybird-model/datasource-file";
import type { PipeDefinition } from "../../../tinybird-model/pipe-file";
import { renderPipeSql } from "../../../tinybird-model/template";

export interface Column {
  name: string;
  type: string;
}

const compact = (type: string) => type.replace(/\s+/g, "");

/**
 * The type a view must write into a target column: the column's own, except that a
 * `SimpleAggregateFunction(f, T)` column stores (and is written as) a plain `T` — ClickHouse keeps
 * no state for it, and Tinybird's own rollups write `max(x)` into `SimpleAggregateFunction(max, T)`.
 */
export function writtenType(targetType: string): string {
  const type = compact(targetType);
  const simple = /^SimpleAggregateFunction\([^,()]+(?:\([^()]*\))?,(.*)\)$/.exec(type);
  return simple ? simple[1]! : type;
}

/** The columns `sql` yields (its SELECT as ClickHouse types it), in `database`. */
export function describeSelect(session: Session, database: string, sql: string): Column[] {
  session.query(`USE \`${database}\``);
  return session
    .query(`DESCRIBE (${sql})`, "JSONEachRow")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Column)
    .map(({ name, type }) => ({ name, type }));
}

/** The view's SELECT: its nodes rendered into one query, as its materialized node reads them. */
export function viewSql(pipe: PipeDefinition): string {
  return renderPipeSql(pipe);
}

/**
 * Every difference between what the view writes and what its target holds, one line each; empty when
 * every target column is written with exactly its type and the view writes nothing else.
 */
export function viewTargetMismatches(view: Column[], target: DataSourceDefinition): string[] {
  const written = new Map(view.map((c) => [c.name, compact(c.type)]));
  const problems: string[] = [];
  for (const column of target.columns) {
    const type = written.get(column.name);
    written.delete(column.name);
    if (type === undefined)
      problems.push(`column ${column.name} (${column.type}) is not written by the view`);
    else if (type !== writtenType(column.type)) {
      problems.push(`column ${column.name} is written as ${type}, but ${target.name} holds ${column.type}`);
    }
  }
  for (const [name, type] of written)
    problems.push(`the view writes ${name} (${type}), which ${target.name} has no column for`);
  return problems;
}
