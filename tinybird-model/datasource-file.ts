/**
 * Parser for `.datasource` datafiles: what this project's code reads of a data source (its columns,
 * engine, tokens, FORWARD_QUERY) for the local tables and the provisioning. The file itself is
 * deployed exactly as written: every other instruction Tinybird Forward knows (INDEXES, KAFKA_*,
 * IMPORT_*, BACKFILL, SHARED_WITH, …), and any it adds later, is kept in `instructions` and left
 * to Tinybird to judge.
 */
import {
  DatafileError,
  type Directive,
  parseTokenLine,
  readDirectives,
  splitTopLevel,
  type TokenDeclaration,
  unquote,
} from "./datafile-syntax";

export interface ColumnDefinition {
  name: string;
  /** ClickHouse type as written, e.g. `LowCardinality(String)`, `DateTime64(3)`. */
  type: string;
  /** JSONPath without the `json:` prefix, e.g. `$.data.id`; `$` is the whole row. */
  jsonPath?: string;
  /** SQL expression after DEFAULT, as written (e.g. `''`). */
  defaultExpression?: string;
  codec?: string;
}

export interface DataSourceDefinition {
  /** Name from the file name (`clerk_events.datasource` → `clerk_events`). */
  name: string;
  description?: string;
  tokens: TokenDeclaration[];
  columns: ColumnDefinition[];
  /** e.g. `MergeTree`. */
  engine: string;
  /** ENGINE_* settings by lower-case suffix: `sorting_key`, `partition_key`, `ttl`, `ver`, `settings`, … */
  engineSettings: Record<string, string>;
  /** The FORWARD_QUERY a deployment migrates the live rows with (a SELECT list, no FROM), as written. */
  forwardQuery?: string;
  /** The INDEXES block as written (data-skipping indexes). */
  indexes?: string;
  /** TAGS as written. */
  tags?: string;
  /** Every other instruction, in file order: read by Tinybird, not by this project. */
  instructions: Directive[];
}

function parseColumn(text: string, file: string, line: number): ColumnDefinition {
  const source = text.trim();
  const fail = (problem: string): never => {
    throw new DatafileError(file, line, `column "${source}": ${problem}`);
  };
  const nameMatch = /^`([^`]+)`|^([A-Za-z_][A-Za-z0-9_]*)/.exec(source) ?? fail("expected a column name");
  const name = (nameMatch[1] ?? nameMatch[2])!;
  let rest = source.slice(nameMatch[0].length).trimStart();

  let depth = 0;
  let end = 0;
  while (end < rest.length && (depth > 0 || !/\s/.test(rest[end]!))) {
    if (rest[end] === "(") depth++;
    if (rest[end] === ")") depth--;
    end++;
  }
  const type = rest.slice(0, end);
  if (!type || type.startsWith("`")) fail("expected a type after the name");
  rest = rest.slice(end).trim();

  const column: ColumnDefinition = { name, type };
  const jsonMatch = /^`json:([^`]*)`/.exec(rest);
  if (jsonMatch) {
    column.jsonPath = jsonMatch[1]!.trim();
    rest = rest.slice(jsonMatch[0].length).trim();
  } else if (rest.startsWith("`")) {
    fail("a backticked attribute must be a jsonpath, `json:$.field`");
  }
  const codecMatch = /(?:^|\s)CODEC\s*(\(.*\))$/is.exec(rest);
  if (codecMatch) {
    column.codec = codecMatch[1]!;
    rest = rest.slice(0, codecMatch.index).trim();
  }
  const defaultMatch = /^DEFAULT\s+(.+)$/is.exec(rest);
  if (defaultMatch) {
    column.defaultExpression = defaultMatch[1]!.trim();
    rest = "";
  }
  if (rest) fail(`unexpected "${rest}" (expected a jsonpath, DEFAULT or CODEC)`);
  return column;
}

function parseSchema(directive: Directive, file: string): ColumnDefinition[] {
  if (directive.block === undefined)
    throw new DatafileError(file, directive.line, "SCHEMA must be a block: SCHEMA >");
  const columns = splitTopLevel(directive.block, ",")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part) => parseColumn(part, file, directive.line));
  const seen = new Set<string>();
  for (const column of columns) {
    if (seen.has(column.name)) throw new DatafileError(file, directive.line, `column "${column.name}" twice`);
    seen.add(column.name);
  }
  return columns;
}

/** Parses a `.datasource` file; `name` is the data source name (the file's base name). */
export function parseDataSource(
  text: string,
  name: string,
  file = `${name}.datasource`,
): DataSourceDefinition {
  const definition: DataSourceDefinition = {
    name,
    tokens: [],
    columns: [],
    engine: "MergeTree",
    engineSettings: {},
    instructions: [],
  };
  let hasSchema = false;
  for (const directive of readDirectives(text, file)) {
    const { keyword } = directive;
    if (keyword === "DESCRIPTION") {
      definition.description = directive.block ?? unquote(directive.value);
    } else if (keyword === "TOKEN") {
      definition.tokens.push(parseTokenLine(directive, file));
    } else if (keyword === "SCHEMA") {
      definition.columns = parseSchema(directive, file);
      hasSchema = true;
    } else if (keyword === "ENGINE") {
      definition.engine = unquote(directive.value);
    } else if (keyword.startsWith("ENGINE_")) {
      definition.engineSettings[keyword.slice("ENGINE_".length).toLowerCase()] = unquote(
        directive.block ?? directive.value,
      );
    } else if (keyword === "FORWARD_QUERY") {
      definition.forwardQuery = directive.block ?? directive.value;
    } else if (keyword === "INDEXES") {
      definition.indexes = directive.block ?? directive.value;
    } else if (keyword === "TAGS") {
      definition.tags = unquote(directive.value);
    } else {
      definition.instructions.push(directive);
    }
  }
  if (!hasSchema || definition.columns.length === 0)
    throw new DatafileError(file, undefined, "no SCHEMA columns");
  return definition;
}
