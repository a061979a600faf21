/**
 * Parser for `.pipe` datafiles: what this project's code reads of a pipe (its nodes and SQL, which
 * node is the endpoint or the materialized view and its target, its tokens). The file is deployed
 * exactly as written: every other instruction Tinybird Forward knows (TARGET_DATASOURCE, COPY_*,
 * EXPORT_*, DEPLOYMENT_METHOD, CACHE, …), and any it adds later, is kept in `instructions` (the
 * pipe's, or the node's after a NODE) and left to Tinybird to judge.
 */
import {
  DatafileError,
  type Directive,
  parseTokenLine,
  readDirectives,
  type TokenDeclaration,
  unquote,
} from "./datafile-syntax";

export interface PipeNode {
  name: string;
  description?: string;
  /** The SQL as written, including a leading `%` line when the node uses templates. */
  sql: string;
  /** Lower-case node type when the file sets one (`endpoint`, `materialized`, `copy`). */
  type?: string;
  /** The data source a `materialized` node writes into (`DATASOURCE <name>`). */
  datasource?: string;
  /** The node's other instructions, in file order (TARGET_DATASOURCE, COPY_*, DEPLOYMENT_METHOD, …). */
  instructions: Directive[];
}

export interface PipeDefinition {
  /** Name from the file name (`signups.pipe` → `signups`). */
  name: string;
  description?: string;
  nodes: PipeNode[];
  tokens: TokenDeclaration[];
  /** The node published as the API endpoint, if any. */
  endpointNode?: string;
  /** The `TYPE materialized` node, if any: it writes each insert's rows into `datasource`. */
  materializedNode?: string;
  /** TAGS as written. */
  tags?: string;
  /** Instructions before the first NODE that this project does not read, in file order. */
  instructions: Directive[];
}

/** Parses a `.pipe` file; `name` is the pipe name (the file's base name). */
export function parsePipe(text: string, name: string, file = `${name}.pipe`): PipeDefinition {
  const pipe: PipeDefinition = { name, nodes: [], tokens: [], instructions: [] };
  let node: PipeNode | undefined;
  for (const directive of readDirectives(text, file)) {
    const { keyword } = directive;
    if (keyword === "NODE") {
      if (!directive.value) throw new DatafileError(file, directive.line, "NODE needs a name");
      if (node && !node.sql) throw new DatafileError(file, directive.line, `node ${node.name} has no SQL`);
      if (pipe.nodes.some((n) => n.name === directive.value)) {
        throw new DatafileError(file, directive.line, `node ${directive.value} twice`);
      }
      node = { name: directive.value, sql: "", instructions: [] };
      pipe.nodes.push(node);
    } else if (keyword === "DESCRIPTION") {
      const description = directive.block ?? unquote(directive.value);
      if (node) node.description = description;
      else pipe.description = description;
    } else if (keyword === "SQL") {
      if (!node) throw new DatafileError(file, directive.line, "SQL before any NODE");
      if (!directive.block)
        throw new DatafileError(file, directive.line, "SQL must be a non-empty block: SQL >");
      node.sql = directive.block;
    } else if (keyword === "TYPE") {
      if (!node) throw new DatafileError(file, directive.line, "TYPE before any NODE");
      node.type = unquote(directive.value).toLowerCase();
    } else if (keyword === "DATASOURCE") {
      if (!node) throw new DatafileError(file, directive.line, "DATASOURCE before any NODE");
      node.datasource = unquote(directive.value);
    } else if (keyword === "TOKEN") {
      pipe.tokens.push(parseTokenLine(directive, file));
    } else if (keyword === "TAGS") {
      pipe.tags = unquote(directive.value);
    } else {
      (node ?? pipe).instructions.push(directive);
    }
  }
  if (pipe.nodes.length === 0) throw new DatafileError(file, undefined, "no NODE");
  const last = pipe.nodes.at(-1)!;
  if (!last.sql) throw new DatafileError(file, undefined, `node ${last.name} has no SQL`);
  const endpoints = pipe.nodes.filter((n) => n.type === "endpoint");
  if (endpoints.length > 1) throw new DatafileError(file, undefined, "more than one node has TYPE endpoint");
  pipe.endpointNode = endpoints[0]?.name;
  const materialized = pipe.nodes.filter((n) => n.type === "materialized");
  if (materialized.length > 1)
    throw new DatafileError(file, undefined, "more than one node has TYPE materialized");
  if (materialized.length > 0 && endpoints.length > 0)
    throw new DatafileError(file, undefined, "a pipe is either an endpoint or materialized, not both");
  for (const n of pipe.nodes) {
    if (n.type === "materialized" && !n.datasource)
      throw new DatafileError(
        file,
        undefined,
        `node ${n.name} is materialized: name its target with DATASOURCE <name>`,
      );
    if (n.datasource && n.type !== "materialized")
      throw new DatafileError(
        file,
        undefined,
        `node ${n.name} has a DATASOURCE but is not TYPE materialized`,
      );
  }
  pipe.materializedNode = materialized[0]?.name;
  return pipe;
}
