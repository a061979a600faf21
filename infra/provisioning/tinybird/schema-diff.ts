/**
 * Compares the datafile with a data source that already exists in a Classic workspace
 * (`GET /v0/datasources/<name>`), so an existing one is adopted only when it is the same, and
 * otherwise the difference is shown to a person instead of being dropped or altered.
 */
import type { DataSourceDefinition } from "../../../tinybird-model/datasource-file";

interface RemoteColumn {
  name?: string;
  type?: string;
  jsonpath?: string | null;
  default_value?: string | null;
  nullable?: boolean;
}

/**
 * The data source description's shape, as Tinybird's own clients read it: columns under
 * `schema.columns` (detail endpoint) or `columns` (list endpoint), engine keys under `engine` as
 * `sorting_key` or `engine_sorting_key`, or at the top level.
 */
export interface RemoteDataSource {
  schema?: { columns?: RemoteColumn[] };
  columns?: RemoteColumn[];
  engine?: Record<string, string | undefined> & { engine?: string };
  [key: string]: unknown;
}

const compact = (s: string | null | undefined) => (s ?? "").replace(/\s+/g, "");
const key = (s: string | null | undefined) => compact(s).replace(/^\((.*)\)$/, "$1");

function remoteType(column: RemoteColumn): string {
  const type = (column.type ?? "").trim();
  return column.nullable && !type.startsWith("Nullable(") ? `Nullable(${type})` : type;
}

const remoteDefault = (value: string | null | undefined) =>
  value == null || value.trim() === "" ? undefined : value.trim().replace(/^DEFAULT\s+/i, "");

function remoteSetting(remote: RemoteDataSource, name: string): string | undefined {
  const value = remote.engine?.[name] ?? remote.engine?.[`engine_${name}`] ?? remote[name];
  return typeof value === "string" ? value : undefined;
}

/** The differences, one line each for a person; empty when the existing data source matches. */
export function diffSchema(local: DataSourceDefinition, remote: RemoteDataSource): string[] {
  const differences: string[] = [];
  const remoteColumns = new Map(
    (remote.schema?.columns ?? remote.columns ?? []).map((c) => [c.name ?? "", c]),
  );
  for (const column of local.columns) {
    const other = remoteColumns.get(column.name);
    remoteColumns.delete(column.name);
    if (!other) {
      differences.push(`column ${column.name}: in the datafile, missing in the workspace`);
      continue;
    }
    if (compact(column.type) !== compact(remoteType(other))) {
      differences.push(
        `column ${column.name}: type ${column.type} in the datafile, ${remoteType(other)} in the workspace`,
      );
    }
    // Only what the workspace reports is compared: a description without jsonpaths or defaults
    // (older API shapes) must not turn every re-run into a false mismatch.
    if (other.jsonpath != null && (column.jsonPath ?? "") !== other.jsonpath.trim()) {
      differences.push(
        `column ${column.name}: jsonpath ${column.jsonPath ?? "(none)"} in the datafile, ${other.jsonpath || "(none)"} in the workspace`,
      );
    }
    const otherDefault = remoteDefault(other.default_value);
    if (otherDefault !== undefined && compact(column.defaultExpression) !== compact(otherDefault)) {
      differences.push(
        `column ${column.name}: DEFAULT ${column.defaultExpression ?? "(none)"} in the datafile, ${otherDefault} in the workspace`,
      );
    }
  }
  for (const name of remoteColumns.keys())
    differences.push(`column ${name}: in the workspace, not in the datafile`);

  const engine = remote.engine?.engine;
  if (engine && !compact(engine).startsWith(compact(local.engine))) {
    differences.push(`engine: ${local.engine} in the datafile, ${engine} in the workspace`);
  }
  for (const [name, value] of Object.entries(local.engineSettings)) {
    const other = remoteSetting(remote, name);
    if (other !== undefined && key(other) !== key(value)) {
      differences.push(
        `ENGINE_${name.toUpperCase()}: "${value}" in the datafile, "${other}" in the workspace`,
      );
    }
  }
  return differences;
}
