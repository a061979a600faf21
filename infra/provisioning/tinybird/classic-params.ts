/**
 * The Classic REST requests derived from parsed datafiles: `POST /v0/datasources` form fields and
 * the `POST /v0/pipes` JSON body. Nothing here is written by hand twice: the datafile decides.
 */
import type { ColumnDefinition, DataSourceDefinition } from "../../../tinybird-model/datasource-file";
import type { PipeDefinition } from "../../../tinybird-model/pipe-file";

/** One column as Tinybird's `schema` parameter wants it: ``name Type `json:$.path` DEFAULT x``. */
export function columnSchema(column: ColumnDefinition): string {
  return [
    `\`${column.name}\``,
    column.type,
    column.jsonPath !== undefined ? `\`json:${column.jsonPath}\`` : undefined,
    column.defaultExpression !== undefined ? `DEFAULT ${column.defaultExpression}` : undefined,
    column.codec !== undefined ? `CODEC${column.codec}` : undefined,
  ]
    .filter((part) => part !== undefined)
    .join(" ");
}

/**
 * Form fields of `POST /v0/datasources`. The jsonpaths travel inside `schema`, which Tinybird only
 * accepts together with `format=ndjson`; a rollup (written by a materialized pipe, no jsonpaths)
 * is created from its schema alone. ENGINE_* settings become `engine_*` fields.
 */
export function dataSourceCreateParams(ds: DataSourceDefinition): URLSearchParams {
  const params = new URLSearchParams({
    name: ds.name,
    mode: "create",
    ...(ds.columns.some((c) => c.jsonPath !== undefined) ? { format: "ndjson" } : {}),
    schema: ds.columns.map(columnSchema).join(", "),
    engine: ds.engine,
  });
  for (const [key, value] of Object.entries(ds.engineSettings)) params.set(`engine_${key}`, value);
  if (ds.description) params.set("description", ds.description);
  return params;
}

export interface PipeRequestNode {
  name: string;
  sql: string;
  description?: string;
  type?: string;
  /** The target data source of a `materialized` node. */
  datasource?: string;
}

export interface PipeRequestBody {
  name: string;
  description?: string;
  nodes: PipeRequestNode[];
}

/**
 * JSON body of `POST /v0/pipes?force=true`: the whole pipe in one request, the endpoint node marked
 * `type: endpoint` so Tinybird publishes it, a materialized node `type: materialized` with its target
 * in `datasource` (the Classic server reads `name`, `description` and
 * `nodes[].{name, sql, description, type, datasource}` from an `application/json` body, as
 * Tinybird's CLI sends them in `tb push`).
 */
export function pipeCreateBody(pipe: PipeDefinition): PipeRequestBody {
  return {
    name: pipe.name,
    ...(pipe.description ? { description: pipe.description } : {}),
    nodes: pipe.nodes.map((node) => ({
      name: node.name,
      sql: node.sql,
      ...(node.description ? { description: node.description } : {}),
      ...(node.type ? { type: node.type } : {}),
      ...(node.datasource ? { datasource: node.datasource } : {}),
    })),
  };
}
