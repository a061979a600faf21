/**
 * Every datafile under a Tinybird project folder, read generically for the local store: each
 * `.datasource` becomes a table, each pipe with a `TYPE materialized` node (and its `DATASOURCE`
 * target) a materialized view, each pipe with an endpoint node an endpoint. Parsing is the
 * provisioning code's own (datasource-file.ts, pipe-file.ts), so the store reads what gets deployed.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { type DataSourceDefinition, parseDataSource } from "../tinybird-model/datasource-file";
import { type PipeDefinition, parsePipe } from "../tinybird-model/pipe-file";

export interface MaterializedPipe {
  pipe: PipeDefinition;
  /** The node whose SELECT feeds the target. */
  node: string;
  /** The data source it writes to. */
  target: string;
}

export interface LocalProject {
  dataSources: DataSourceDefinition[];
  /** In dependency order: a view reading another view's target comes after it. */
  materialized: MaterializedPipe[];
  endpoints: Map<string, PipeDefinition>;
  /** Hash of every datafile's path and text: the store's schema version. */
  hash: string;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory() ? listFiles(join(dir, entry.name)) : entry.isFile() ? [join(dir, entry.name)] : [],
    )
    .sort();
}

const baseName = (path: string) => path.slice(path.lastIndexOf("/") + 1, path.lastIndexOf("."));

/** Orders materialized pipes so that a view reading a table another view fills comes after it. */
function dependencyOrder(views: MaterializedPipe[]): MaterializedPipe[] {
  const reads = (view: MaterializedPipe, table: string) =>
    view.pipe.nodes.some((n) => new RegExp(`(?<![A-Za-z0-9_])${table}(?![A-Za-z0-9_])`).test(n.sql));
  const ordered: MaterializedPipe[] = [];
  const visiting = new Set<MaterializedPipe>();
  const visit = (view: MaterializedPipe) => {
    if (ordered.includes(view)) return;
    if (visiting.has(view)) throw new Error(`materialized pipes ${view.pipe.name} form a cycle`);
    visiting.add(view);
    for (const other of views) if (other !== view && reads(view, other.target)) visit(other);
    ordered.push(view);
  };
  for (const view of views) visit(view);
  return ordered;
}

/** Reads every datafile under `tinybirdDir` (recursively). Throws DatafileError on a bad file. */
export function loadLocalProject(tinybirdDir: string): LocalProject {
  const hash = createHash("sha256");
  const dataSources: DataSourceDefinition[] = [];
  const views: MaterializedPipe[] = [];
  const endpoints = new Map<string, PipeDefinition>();
  for (const path of listFiles(tinybirdDir)) {
    const file = relative(tinybirdDir, path);
    if (!file.endsWith(".datasource") && !file.endsWith(".pipe")) continue;
    const text = readFileSync(path, "utf8");
    hash.update(`${file}\0${text}\0`);
    if (file.endsWith(".datasource")) {
      dataSources.push(parseDataSource(text, baseName(file), file));
      continue;
    }
    // parsePipe checks that a materialized node names its target with DATASOURCE.
    const pipe = parsePipe(text, baseName(file), file);
    const materialized = pipe.nodes.find((n) => n.type === "materialized");
    if (materialized?.datasource) {
      views.push({ pipe, node: materialized.name, target: materialized.datasource });
    }
    if (pipe.endpointNode) endpoints.set(pipe.name, pipe);
  }
  for (const view of views) {
    if (!dataSources.some((ds) => ds.name === view.target))
      throw new Error(
        `${view.pipe.name}.pipe materializes into ${view.target}, which no .datasource defines`,
      );
  }
  return { dataSources, materialized: dependencyOrder(views), endpoints, hash: hash.digest("hex") };
}
