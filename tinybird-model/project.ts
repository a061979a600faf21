/**
 * Finds the project's Tinybird datafiles (`tinybird/datasources/*.datasource`,
 * `tinybird/materializations/*.pipe`, `tinybird/endpoints/*.pipe`), applies the configured data
 * source name, and parses them.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ProvisioningError } from "../command-kit/command-shell";
import { type DataSourceDefinition, parseDataSource } from "./datasource-file";
import { type PipeDefinition, parsePipe } from "./pipe-file";

/** A datafile as deployed: its path inside the Tinybird project folder and its text. */
export interface Datafile {
  /** e.g. `datasources/clerk_events.datasource` (a Forward deployment names resources by it). */
  path: string;
  text: string;
}

export interface TinybirdProject {
  /** The landing data source the forwarder appends to (the one no materialized pipe writes). */
  dataSource: { file: Datafile; definition: DataSourceDefinition };
  /** Data sources written by materialized pipes (rollups), in file order. */
  rollups: { file: Datafile; definition: DataSourceDefinition }[];
  /** `TYPE materialized` pipes: each writes every insert into one rollup. */
  materializations: { file: Datafile; definition: PipeDefinition }[];
  /** The analytics endpoints. */
  pipes: { file: Datafile; definition: PipeDefinition }[];
}

export const TINYBIRD_DIR = "tinybird";
const FOLDERS = { datasources: ".datasource", materializations: ".pipe", endpoints: ".pipe" } as const;

/** Every datafile of a project, in the order a deployment creates them (dependencies first). */
export function projectDatafiles(project: TinybirdProject): Datafile[] {
  return [
    project.dataSource.file,
    ...project.rollups.map((r) => r.file),
    ...project.materializations.map((m) => m.file),
    ...project.pipes.map((p) => p.file),
  ];
}

/** The names of the data sources and pipes a project deploys. */
export function projectResourceNames(project: TinybirdProject): string[] {
  return [
    project.dataSource.definition.name,
    ...project.rollups.map((r) => r.definition.name),
    ...project.materializations.map((m) => m.definition.name),
    ...project.pipes.map((p) => p.definition.name),
  ];
}

/** Tinybird resource names: a letter or underscore, then letters, digits and underscores. */
export function assertResourceName(name: string, setting: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new ProvisioningError(
      `"${name}" is not a valid Tinybird name (${setting}): use letters, digits and underscores, starting with a letter`,
    );
  }
}

function listDatafiles(root: string): Datafile[] {
  const files: Datafile[] = [];
  for (const [folder, extension] of Object.entries(FOLDERS)) {
    const dir = join(root, TINYBIRD_DIR, folder);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir).sort()) {
      if (entry.endsWith(extension)) {
        files.push({ path: `${folder}/${entry}`, text: readFileSync(join(dir, entry), "utf8") });
      }
    }
  }
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
 * that name, the rollups and materialized pipes named after it (`clerk_events_users` →
 * `<name>_users`) follow, and every SQL is rewritten to read them, so two stacks can share a
 * workspace.
 */
export function loadProject(root: string, options: { dataSourceName?: string } = {}): TinybirdProject {
  const files = listDatafiles(root);
  const sources = files.filter((f) => f.path.endsWith(FOLDERS.datasources));
  const materializationFiles = files.filter((f) => f.path.startsWith("materializations/"));
  const parsedMaterializations = materializationFiles.map((f) =>
    parsePipe(f.text, baseName(f.path), `${TINYBIRD_DIR}/${f.path}`),
  );
  for (const m of parsedMaterializations) {
    if (!m.materializedNode) {
      throw new ProvisioningError(
        `${TINYBIRD_DIR}/materializations/${m.name}.pipe has no TYPE materialized node: move it to ${TINYBIRD_DIR}/endpoints/ or add TYPE materialized and DATASOURCE <target>`,
      );
    }
  }
  const targets = new Set(
    parsedMaterializations.map((m) => m.nodes.find((n) => n.name === m.materializedNode)!.datasource!),
  );
  for (const target of targets) {
    if (!sources.some((f) => baseName(f.path) === target)) {
      throw new ProvisioningError(
        `a materialized pipe writes into "${target}", which is not in ${TINYBIRD_DIR}/datasources/: add ${target}.datasource`,
      );
    }
  }
  const landing = sources.filter((f) => !targets.has(baseName(f.path)));
  if (landing.length !== 1) {
    throw new ProvisioningError(
      `expected exactly one data source in ${TINYBIRD_DIR}/datasources/, found ${landing.length}, that no materialized pipe writes (the landing data source the forwarder appends to): ${landing
        .map((f) => f.path)
        .join(", ")}`,
    );
  }
  const source = landing[0]!;
  const original = baseName(source.path);
  const name = options.dataSourceName || original;
  assertResourceName(name, "the data source name, TINYBIRD_DATASOURCE");

  const derived = [...sources.filter((f) => f !== source), ...materializationFiles].map((f) =>
    baseName(f.path),
  );
  const foreign = derived.filter((d) => !d.startsWith(`${original}_`));
  if (foreign.length > 0) {
    throw new ProvisioningError(
      `${foreign.join(", ")}: rollup data sources and materialized pipes must be named after the landing data source (${original}_…), so that a stack with another data source name gets its own`,
    );
  }
  const rename = (text: string) => renameDataSource(text, original, name, derived);
  const renamed = (f: Datafile) => {
    const folder = f.path.slice(0, f.path.indexOf("/"));
    const ext = f.path.slice(f.path.lastIndexOf("."));
    const resource = rename(baseName(f.path));
    return { resource, file: { path: `${folder}/${resource}${ext}`, text: rename(f.text) } };
  };
  const dataSource = (f: Datafile) => {
    const { resource, file } = renamed(f);
    return { file, definition: parseDataSource(file.text, resource, `${TINYBIRD_DIR}/${f.path}`) };
  };
  const pipe = (f: Datafile) => {
    const { resource, file } = renamed(f);
    return { file, definition: parsePipe(file.text, resource, `${TINYBIRD_DIR}/${f.path}`) };
  };
  return {
    dataSource: dataSource(source),
    rollups: sources.filter((f) => f !== source).map(dataSource),
    materializations: materializationFiles.map(pipe),
    pipes: files.filter((f) => f.path.startsWith("endpoints/")).map(pipe),
  };
}
