/**
 * Loads the Tinybird Forward project in `tinybird/` as Tinybird's CLI sees it: every `.datasource`,
 * `.pipe` and `.connection` file in any folder (datasources/, materializations/, endpoints/, copies/,
 * pipes/, connections/, a team's own…), each deployed as written under its path. This project's
 * landing data source is `clerk_events.datasource`; with a configured data source name it and the
 * resources named after it (`clerk_events_*`) are deployed under that name, and every SQL follows.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CommandError } from "../command-kit/command-shell";
import { DEFAULT_DATASOURCE } from "../lambda/config";
import { type DataSourceDefinition, parseDataSource } from "./datasource-file";
import { type PipeDefinition, parsePipe } from "./pipe-file";

/** A datafile as deployed: its path inside the Tinybird project folder and its text. */
export interface Datafile {
  /** e.g. `datasources/clerk_events.datasource` (a Forward deployment names resources by it). */
  path: string;
  text: string;
}

export interface TinybirdProject {
  /** The landing data source the forwarder appends to (`clerk_events.datasource`). */
  dataSource: { file: Datafile; definition: DataSourceDefinition };
  /** Data sources written by materialized pipes (rollups), in path order. */
  rollups: { file: Datafile; definition: DataSourceDefinition }[];
  /** `TYPE materialized` pipes: each writes every insert into one rollup. */
  materializations: { file: Datafile; definition: PipeDefinition }[];
  /** Every other pipe: the analytics endpoints, and a team's own endpoints, copies, sinks or pipes. */
  pipes: { file: Datafile; definition: PipeDefinition }[];
  /** Data sources that neither are the landing one nor written by a materialized pipe (a team's own). */
  dataSources: { file: Datafile; definition: DataSourceDefinition }[];
  /** `.connection` files, deployed as written (this project reads nothing in them). */
  connections: Datafile[];
}

export const TINYBIRD_DIR = "tinybird";
/** The landing data source's datafile name: the forwarder's contract. */
export const LANDING_DATASOURCE = DEFAULT_DATASOURCE;
const EXTENSIONS = [".datasource", ".pipe", ".connection"] as const;
/** Folders of a Forward project that hold no datafiles to deploy (fixtures, tests), as `tb` skips them. */
const NOT_DEPLOYED = new Set(["fixtures", "tests"]);

/** Every datafile of a project, in the order a deployment creates them (dependencies first). */
export function projectDatafiles(project: TinybirdProject): Datafile[] {
  return [
    ...project.connections,
    project.dataSource.file,
    ...project.dataSources.map((d) => d.file),
    ...project.rollups.map((r) => r.file),
    ...project.materializations.map((m) => m.file),
    ...project.pipes.map((p) => p.file),
  ];
}

/** The names of the data sources and pipes a project deploys. */
export function projectResourceNames(project: TinybirdProject): string[] {
  return [
    project.dataSource.definition.name,
    ...project.dataSources.map((d) => d.definition.name),
    ...project.rollups.map((r) => r.definition.name),
    ...project.materializations.map((m) => m.definition.name),
    ...project.pipes.map((p) => p.definition.name),
  ];
}

/** Tinybird resource names: a letter or underscore, then letters, digits and underscores. */
export function assertResourceName(name: string, setting: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new CommandError(
      `"${name}" is not a valid Tinybird name (${setting}): use letters, digits and underscores, starting with a letter`,
    );
  }
}

function listDatafiles(root: string): Datafile[] {
  const files: Datafile[] = [];
  const walk = (relative: string) => {
    const dir = join(root, TINYBIRD_DIR, relative);
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!entry.name.startsWith(".") && !(relative === "" && NOT_DEPLOYED.has(entry.name))) walk(path);
      } else if (entry.isFile() && EXTENSIONS.some((e) => entry.name.endsWith(e))) {
        files.push({ path, text: readFileSync(join(dir, entry.name), "utf8") });
      }
    }
  };
  if (existsSync(join(root, TINYBIRD_DIR))) walk("");
  return files;
}

const baseName = (path: string) => path.slice(path.lastIndexOf("/") + 1, path.lastIndexOf("."));

/**
 * Content hash of every datafile (paths and texts). A change re-runs the provisioning; it stays
 * stable across machines because paths are relative and files are sorted.
 */
export function hashDatafiles(root: string): string {
  const hash = createHash("sha256");
  for (const file of listDatafiles(root)) hash.update(`${file.path}\0${file.text}\0`);
  return hash.digest("hex");
}

/**
 * Renames a data source inside SQL text, whole words only, together with its quarantine table
 * (`<name>_quarantine`) and the resources named after it (`derived`: full names starting with
 * `<from>_`, e.g. the rollups `clerk_events_users`), so that `clerk_events_other` or
 * `my_clerk_events` stay untouched.
 */
export function renameDataSource(text: string, from: string, to: string, derived: string[] = []): string {
  if (from === to) return text;
  const suffixes = ["_quarantine", ...derived.map((name) => name.slice(from.length))]
    .sort((a, b) => b.length - a.length)
    .join("|");
  const word = new RegExp(`(?<![A-Za-z0-9_])${from}(${suffixes})?(?![A-Za-z0-9_])`, "g");
  return text.replace(word, (_, suffix?: string) => `${to}${suffix ?? ""}`);
}

/**
 * Loads the project's datafiles. With `dataSourceName`, the landing data source is deployed under
 * that name, the resources named after it (`clerk_events_users` → `<name>_users`) follow, and every
 * SQL is rewritten to read them, so two stacks can share a workspace. A team's own datafiles keep
 * their names.
 */
export function loadProject(root: string, options: { dataSourceName?: string } = {}): TinybirdProject {
  const files = listDatafiles(root);
  const kind = (f: Datafile) => f.path.slice(f.path.lastIndexOf("."));
  const sources = files.filter((f) => kind(f) === ".datasource");
  const pipeFiles = files.filter((f) => kind(f) === ".pipe");
  const parsedPipes = new Map(
    pipeFiles.map((f) => [f, parsePipe(f.text, baseName(f.path), `${TINYBIRD_DIR}/${f.path}`)]),
  );
  const targetOf = (pipe: PipeDefinition) =>
    pipe.nodes.find((n) => n.name === pipe.materializedNode)?.datasource;
  const targets = new Set([...parsedPipes.values()].map(targetOf).filter((t): t is string => !!t));
  for (const target of targets) {
    if (!sources.some((f) => baseName(f.path) === target)) {
      throw new CommandError(
        `a materialized pipe writes into "${target}", which no datafile in ${TINYBIRD_DIR}/ declares: add ${TINYBIRD_DIR}/datasources/${target}.datasource`,
      );
    }
  }
  const source = landingSource(sources, targets);
  const original = baseName(source.path);
  const name = options.dataSourceName || original;
  assertResourceName(name, "the data source name, TINYBIRD_DATASOURCE");

  const derived = files.map((f) => baseName(f.path)).filter((n) => n.startsWith(`${original}_`));
  const rename = (text: string) => renameDataSource(text, original, name, derived);
  const renamed = (f: Datafile) => {
    const folder = f.path.slice(0, f.path.lastIndexOf("/") + 1);
    const resource = rename(baseName(f.path));
    return { resource, file: { path: `${folder}${resource}${kind(f)}`, text: rename(f.text) } };
  };
  const dataSource = (f: Datafile) => {
    const { resource, file } = renamed(f);
    return { file, definition: parseDataSource(file.text, resource, `${TINYBIRD_DIR}/${f.path}`) };
  };
  const pipe = (f: Datafile) => {
    const { resource, file } = renamed(f);
    return { file, definition: parsePipe(file.text, resource, `${TINYBIRD_DIR}/${f.path}`) };
  };
  const isMaterialized = (f: Datafile) => parsedPipes.get(f)!.materializedNode !== undefined;
  return {
    dataSource: dataSource(source),
    rollups: sources.filter((f) => targets.has(baseName(f.path))).map(dataSource),
    materializations: pipeFiles.filter(isMaterialized).map(pipe),
    pipes: pipeFiles.filter((f) => !isMaterialized(f)).map(pipe),
    dataSources: sources.filter((f) => f !== source && !targets.has(baseName(f.path))).map(dataSource),
    connections: files.filter((f) => kind(f) === ".connection").map((f) => renamed(f).file),
  };
}

/** `clerk_events.datasource`, or the only data source no materialized pipe writes. */
function landingSource(sources: Datafile[], targets: Set<string>): Datafile {
  const named = sources.find((f) => baseName(f.path) === LANDING_DATASOURCE);
  if (named) return named;
  const candidates = sources.filter((f) => !targets.has(baseName(f.path)));
  if (candidates.length === 1) return candidates[0]!;
  throw new CommandError(
    `no ${LANDING_DATASOURCE}.datasource in ${TINYBIRD_DIR}/: the landing data source the forwarder appends to must keep that file name ` +
      `(found ${candidates.map((f) => f.path).join(", ") || "no data source"}; deploy it under another name with tinybirdDataSource)`,
  );
}
