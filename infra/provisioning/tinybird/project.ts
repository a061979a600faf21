/**
 * Finds the project's Tinybird datafiles (`tinybird/datasources/*.datasource`,
 * `tinybird/endpoints/*.pipe`), applies the configured data source name, and parses them.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ProvisioningError } from "../command-shell";
import { type DataSourceDefinition, parseDataSource } from "./datasource-file";
import { type PipeDefinition, parsePipe } from "./pipe-file";

/** A datafile as deployed: its path inside the Tinybird project folder and its text. */
export interface Datafile {
  /** e.g. `datasources/clerk_events.datasource` (a Forward deployment names resources by it). */
  path: string;
  text: string;
}

export interface TinybirdProject {
  dataSource: { file: Datafile; definition: DataSourceDefinition };
  pipes: { file: Datafile; definition: PipeDefinition }[];
}

export const TINYBIRD_DIR = "tinybird";
const FOLDERS = { datasources: ".datasource", endpoints: ".pipe" } as const;

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
 * (`<name>_quarantine`), so that `clerk_events_daily` or `my_clerk_events` stay untouched.
 */
export function renameDataSource(text: string, from: string, to: string): string {
  if (from === to) return text;
  const word = (name: string) => new RegExp(`(?<![A-Za-z0-9_])${name}(?![A-Za-z0-9_])`, "g");
  return text.replace(word(`${from}_quarantine`), `${to}_quarantine`).replace(word(from), to);
}

/**
 * Loads the project's datafiles. With `dataSourceName`, the data source is deployed under that name
 * and every pipe's SQL is rewritten to read from it.
 */
export function loadProject(root: string, options: { dataSourceName?: string } = {}): TinybirdProject {
  const files = listDatafiles(root);
  const sources = files.filter((f) => f.path.endsWith(FOLDERS.datasources));
  if (sources.length !== 1) {
    throw new ProvisioningError(
      `expected exactly one data source in ${TINYBIRD_DIR}/datasources/, found ${sources.length}: ${sources
        .map((f) => f.path)
        .join(", ")}`,
    );
  }
  const source = sources[0]!;
  const original = baseName(source.path);
  const name = options.dataSourceName || original;
  assertResourceName(name, "the data source name, TINYBIRD_DATASOURCE");

  const dataSourceFile = { path: `datasources/${name}.datasource`, text: source.text };
  const pipes = files
    .filter((f) => f.path.endsWith(FOLDERS.endpoints))
    .map((f) => {
      const file = { path: f.path, text: renameDataSource(f.text, original, name) };
      return { file, definition: parsePipe(file.text, baseName(f.path), `${TINYBIRD_DIR}/${f.path}`) };
    });
  return {
    dataSource: {
      file: dataSourceFile,
      definition: parseDataSource(source.text, name, `${TINYBIRD_DIR}/${source.path}`),
    },
    pipes,
  };
}
