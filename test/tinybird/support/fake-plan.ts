/**
 * How the Forward stand-in plans a deployment, as Tinybird's docs describe it (forward/guides/
 * evolve-data-source, materialized views): the new datafiles against the live ones, per resource.
 *
 * - A data source change Tinybird applies with ALTER (adding or removing a column, making one
 *   Nullable, TTL and indexes) keeps the table; jsonpaths and defaults are ingestion settings.
 * - Any other type change is incompatible with the live rows: a landing data source then needs a
 *   FORWARD_QUERY (a SELECT list over the live table) and is rewritten with it, or the deployment
 *   fails saying so; an engine or sorting change is rewritten with one, or by copying the columns.
 * - A data source a materialized pipe writes is rebuilt by re-running the view over the landing
 *   rows whenever its schema, its view's SQL or the view itself is new or changed: a populate.
 * Everything here is parsing and comparing; the SQL checks (a view's columns against its target, a
 * FORWARD_QUERY's columns) run on chDB in fake-tables.ts.
 */
import type { ColumnDefinition, DataSourceDefinition } from "../../../tinybird-model/datasource-file";
import { parseDataSource } from "../../../tinybird-model/datasource-file";
import type { PipeDefinition } from "../../../tinybird-model/pipe-file";
import { parsePipe } from "../../../tinybird-model/pipe-file";

export interface DeployedFile {
  field: string;
  filename: string;
  text: string;
}

export interface Feedback {
  level: "ERROR" | "WARNING" | "INFO";
  resource: string | null;
  message: string;
}

export type DataSourceAction =
  | { name: string; kind: "create" }
  | { name: string; kind: "drop" }
  /** In place: columns added (with their definition), dropped, or made Nullable. */
  | { name: string; kind: "alter"; add: ColumnDefinition[]; drop: string[]; nullable: ColumnDefinition[] }
  /** A new table filled from the live one by `select` (a FORWARD_QUERY, or the columns both have), no FROM. */
  | { name: string; kind: "rewrite"; select: string; via: "forward query" | "copy" }
  /** A rollup made again, empty, then populated by its view. */
  | { name: string; kind: "rebuild" };

export interface Plan {
  datasources: Map<string, DataSourceDefinition>;
  pipes: Map<string, PipeDefinition>;
  actions: DataSourceAction[];
  /** Rollups their view fills from the landing rows once the deployment is promoted. */
  populate: { target: string; view: string }[];
  changes: {
    new_datasource_names: string[];
    changed_datasource_names: string[];
    deleted_datasource_names: string[];
    new_pipe_names: string[];
    changed_pipe_names: string[];
    deleted_pipe_names: string[];
    data_movements: { datasource_name: string; kind: string; source_mv_name?: string }[];
  };
  errors: { filename: string; error: string }[];
  feedback: Feedback[];
  /** FORWARD_QUERY checks for chDB: the data source and its query (a SELECT list, no FROM). */
  forwardQueries: { name: string; filename: string; select: string; columns: string[] }[];
}

export const baseName = (filename: string) =>
  filename.slice(filename.lastIndexOf("/") + 1).replace(/\.[^.]+$/, "");

function parsed(files: DeployedFile[], errors: Plan["errors"]) {
  const datasources = new Map<string, DataSourceDefinition>();
  const pipes = new Map<string, PipeDefinition>();
  const filenames = new Map<string, string>();
  for (const f of files) {
    const name = baseName(f.filename);
    filenames.set(name, f.filename);
    try {
      if (f.filename.endsWith(".datasource"))
        datasources.set(name, parseDataSource(f.text, name, f.filename));
      else if (f.filename.endsWith(".pipe")) pipes.set(name, parsePipe(f.text, name, f.filename));
    } catch (error) {
      errors.push({ filename: f.filename, error: (error as Error).message });
    }
  }
  return { datasources, pipes, filenames };
}

const compact = (s: string | undefined) => (s ?? "").replace(/\s+/g, " ").trim();
const targetOf = (pipe: PipeDefinition) =>
  pipe.nodes.find((n) => n.name === pipe.materializedNode)?.datasource;
const viewText = (pipe: PipeDefinition) =>
  pipe.nodes.map((n) => `${n.name}:${compact(n.sql)}:${n.type ?? ""}:${n.datasource ?? ""}`).join("|");

/** Whether the table changes (not only ingestion settings), and how. */
function compare(live: DataSourceDefinition, next: DataSourceDefinition) {
  const before = new Map(live.columns.map((c) => [c.name, c]));
  const after = new Map(next.columns.map((c) => [c.name, c]));
  const add = next.columns.filter((c) => !before.has(c.name));
  const drop = live.columns.filter((c) => !after.has(c.name)).map((c) => c.name);
  const nullable: ColumnDefinition[] = [];
  const incompatible: { column: string; from: string; to: string }[] = [];
  let metadata = false;
  for (const column of next.columns) {
    const old = before.get(column.name);
    if (!old) continue;
    if (compact(old.type) !== compact(column.type)) {
      if (compact(column.type) === `Nullable(${compact(old.type)})`) nullable.push(column);
      else incompatible.push({ column: column.name, from: old.type, to: column.type });
    } else if (
      old.jsonPath !== column.jsonPath ||
      compact(old.defaultExpression) !== compact(column.defaultExpression) ||
      compact(old.codec) !== compact(column.codec)
    ) {
      metadata = true;
    }
  }
  const { ttl: oldTtl, ...oldEngine } = live.engineSettings;
  const { ttl: newTtl, ...newEngine } = next.engineSettings;
  const engineChanged =
    live.engine !== next.engine || JSON.stringify(sorted(oldEngine)) !== JSON.stringify(sorted(newEngine));
  metadata ||= compact(oldTtl) !== compact(newTtl) || compact(live.indexes) !== compact(next.indexes);
  const schemaChanged = add.length > 0 || drop.length > 0 || nullable.length > 0 || incompatible.length > 0;
  return {
    add,
    drop,
    nullable,
    incompatible,
    engineChanged,
    changed: schemaChanged || engineChanged || metadata,
  };
}

const sorted = (o: Record<string, string>) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

/** Plans `files` against the live deployment's (none for the first deployment). */
export function planDeployment(files: DeployedFile[], liveFiles: DeployedFile[]): Plan {
  const errors: Plan["errors"] = [];
  const next = parsed(files, errors);
  const live = parsed(liveFiles, []);
  const plan: Plan = {
    datasources: next.datasources,
    pipes: next.pipes,
    actions: [],
    populate: [],
    changes: {
      new_datasource_names: [],
      changed_datasource_names: [],
      deleted_datasource_names: [],
      new_pipe_names: [],
      changed_pipe_names: [],
      deleted_pipe_names: [],
      data_movements: [],
    },
    errors,
    feedback: [],
    forwardQueries: [],
  };
  const views = new Map([...next.pipes].filter(([, p]) => targetOf(p)).map(([n, p]) => [targetOf(p)!, n]));
  const liveViews = new Map(
    [...live.pipes].filter(([, p]) => targetOf(p)).map(([n, p]) => [targetOf(p)!, n]),
  );

  for (const [name, ds] of next.datasources) {
    const filename = next.filenames.get(name)!;
    const resource = `Datasource ${filename.slice(filename.lastIndexOf("/") + 1)}`;
    const old = live.datasources.get(name);
    const view = views.get(name);
    if (!old) {
      plan.changes.new_datasource_names.push(name);
      plan.actions.push({ name, kind: "create" });
      if (ds.forwardQuery) plan.feedback.push(unusedForwardQuery(resource));
      continue;
    }
    const diff = compare(old, ds);
    const viewChanged = view !== undefined && (liveViews.get(name) !== view || changedPipe(view));
    if (!diff.changed && !viewChanged) {
      if (ds.forwardQuery) plan.feedback.push(unusedForwardQuery(resource));
      continue;
    }
    plan.changes.changed_datasource_names.push(name);
    if (view !== undefined) {
      // A rollup: rebuilt from the landing rows by its view whenever its table or its view changes.
      if (
        diff.add.length + diff.drop.length + diff.nullable.length + diff.incompatible.length > 0 ||
        diff.engineChanged
      ) {
        plan.actions.push({ name, kind: "rebuild" });
      }
      continue;
    }
    if (diff.incompatible.length > 0 || diff.engineChanged) {
      if (ds.forwardQuery) {
        plan.actions.push({ name, kind: "rewrite", select: ds.forwardQuery, via: "forward query" });
        plan.forwardQueries.push({
          name,
          filename,
          select: ds.forwardQuery,
          columns: ds.columns.map((c) => c.name),
        });
        plan.changes.data_movements.push({ datasource_name: name, kind: "backfill_with_forward_query" });
      } else if (diff.incompatible.length > 0) {
        for (const c of diff.incompatible) {
          plan.feedback.push({
            level: "ERROR",
            resource,
            message:
              `Column '${c.column}' changes type from ${c.from} to ${c.to}, which is not compatible with the data ` +
              "in the live deployment. Add a FORWARD_QUERY to tell Tinybird how to migrate the existing rows",
          });
        }
      } else {
        const kept = ds.columns
          .filter((c) => old.columns.some((o) => o.name === c.name))
          .map((c) => `\`${c.name}\``);
        plan.actions.push({ name, kind: "rewrite", select: `SELECT ${kept.join(", ")}`, via: "copy" });
        plan.changes.data_movements.push({ datasource_name: name, kind: "backfill_with_forward_query" });
      }
      continue;
    }
    if (ds.forwardQuery) plan.feedback.push(unusedForwardQuery(resource));
    if (diff.add.length + diff.drop.length + diff.nullable.length > 0) {
      plan.actions.push({ name, kind: "alter", add: diff.add, drop: diff.drop, nullable: diff.nullable });
    }
  }
  for (const name of live.datasources.keys()) {
    if (!next.datasources.has(name)) {
      plan.changes.deleted_datasource_names.push(name);
      plan.actions.push({ name, kind: "drop" });
    }
  }

  function changedPipe(name: string): boolean {
    const before = live.pipes.get(name);
    const after = next.pipes.get(name);
    return !before || !after || viewText(before) !== viewText(after);
  }
  for (const [name, pipe] of next.pipes) {
    if (!live.pipes.has(name)) plan.changes.new_pipe_names.push(name);
    else if (
      compact(liveFiles.find((f) => baseName(f.filename) === name)?.text) !==
      compact(files.find((f) => baseName(f.filename) === name)?.text)
    ) {
      plan.changes.changed_pipe_names.push(name);
    }
    const target = targetOf(pipe);
    if (!target) continue;
    const rebuilt = plan.actions.some(
      (a) => a.name === target && (a.kind === "rebuild" || a.kind === "create"),
    );
    if (changedPipe(name) || rebuilt || liveViews.get(target) !== name) {
      plan.populate.push({ target, view: name });
      plan.changes.data_movements.push({
        datasource_name: target,
        kind: "backfill_with_mv_queries",
        source_mv_name: name,
      });
      if (
        !plan.changes.changed_datasource_names.includes(target) &&
        !plan.changes.new_datasource_names.includes(target)
      ) {
        plan.changes.changed_datasource_names.push(target);
      }
    }
  }
  for (const name of live.pipes.keys()) if (!next.pipes.has(name)) plan.changes.deleted_pipe_names.push(name);
  for (const e of plan.errors) plan.feedback.push({ level: "ERROR", resource: e.filename, message: e.error });
  return plan;
}

function unusedForwardQuery(resource: string): Feedback {
  return {
    level: "WARNING",
    resource,
    message:
      "FORWARD_QUERY is not used: no change in this deployment needs it. Remove it once this deployment is live",
  };
}
