/**
 * Renders the SQL of Tinybird pipes the way Tinybird does, for the template constructs this project's
 * pipes use, so that tests can run a pipe's SQL on ClickHouse (chDB) with request parameters.
 *
 * Behaviour follows Tinybird's own engine (`tinybird/sql_template.py`, a Tornado template): a node is
 * a template only when its SQL starts with a `%` line; `{{ … }}` prints an expression through
 * `expression_wrapper` (strings quoted and escaped, `Int32(x)` as `toInt32('x')`, a null value is an
 * error); `{% if %}…{% elif %}…{% else %}…{% end %}` evaluates a Python expression; a parameter the
 * request does not give is `None`; typed functions (`Date(start_date, '2024-01-01')`) take the
 * default when the parameter is missing, fail with "Required parameter is not defined" when there is
 * neither, and validate the value with Tinybird's testers; `error(msg)` aborts the request;
 * `date_diff_in_seconds(…, none_if_error=True)` is None for a date the format or the calendar refuses.
 * Anything else (`{% for %}`, `{% set %}`, `columns()`, arrays, floats …) is rejected with a clear
 * message rather than guessed.
 */
import { CommandError } from "../command-kit/command-shell";
import type { PipeDefinition } from "./pipe-file";

/** Request parameters as an API call gives them (query-string values are strings). */
export type TemplateParams = Record<string, string | number | undefined>;

/**
 * A template Tinybird would refuse to render (its API answers 400 with this message): the request's
 * parameters or the pipe are at fault, never this code, so a command prints it as it is.
 */
export class TemplateError extends CommandError {
  override name = "TemplateError";
}

/** Tinybird's sized integers print as a typed cast: `{{ Int32(n, 30) }}` → `toInt32('30')`. */
class SqlInteger {
  constructor(
    readonly value: bigint,
    readonly type: string,
  ) {}
  toSql(): string {
    return `to${this.type}('${this.value}')`;
  }
}

type Value = string | number | boolean | null | SqlInteger | Value[];

// ---------------------------------------------------------------------------------------------
// Expressions: the Python subset Tinybird templates use in {{ }} and {% if %}.

type Expr =
  | { kind: "literal"; value: Value }
  | { kind: "name"; name: string }
  | { kind: "call"; name: string; args: Expr[]; kwargs: Record<string, Expr> }
  | { kind: "tuple"; items: Expr[] }
  | { kind: "not"; operand: Expr }
  | { kind: "logic"; op: "and" | "or"; left: Expr; right: Expr }
  | { kind: "compare"; op: string; left: Expr; right: Expr };

const TOKEN =
  /\s*(?:(\d+(?:\.\d+)?)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|[<>()[\],=]))/y;

function tokenize(source: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    if (/^\s*$/.test(source.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(source);
    if (!match)
      throw new TemplateError(`cannot read template expression "${source}" at "${source.slice(at)}"`);
    tokens.push((match[1] ?? match[2] ?? match[3] ?? match[4])!);
  }
  return tokens;
}

function unquotePython(token: string): string {
  return token.slice(1, -1).replace(/\\(.)/g, (_, c: string) => ({ n: "\n", t: "\t" })[c] ?? c);
}

class ExpressionParser {
  private position = 0;
  constructor(
    private readonly tokens: string[],
    private readonly source: string,
  ) {}

  static parse(source: string): Expr {
    const parser = new ExpressionParser(tokenize(source), source);
    const expr = parser.or();
    if (parser.position < parser.tokens.length) parser.fail(`unexpected "${parser.peek()}"`);
    return expr;
  }

  private peek(offset = 0): string | undefined {
    return this.tokens[this.position + offset];
  }
  private next(): string {
    const token = this.tokens[this.position++];
    if (token === undefined) this.fail("unexpected end");
    return token!;
  }
  private expect(token: string): void {
    const got = this.next();
    if (got !== token) this.fail(`expected "${token}", got "${got}"`);
  }
  private fail(problem: string): never {
    throw new TemplateError(`template expression "${this.source}": ${problem}`);
  }

  private or(): Expr {
    return this.logic("or", () => this.and());
  }
  private and(): Expr {
    return this.logic("and", () => this.not());
  }
  private logic(op: "and" | "or", operand: () => Expr): Expr {
    let left = operand();
    while (this.peek() === op) {
      this.next();
      left = { kind: "logic", op, left, right: operand() };
    }
    return left;
  }
  private not(): Expr {
    if (this.peek() === "not") {
      this.next();
      return { kind: "not", operand: this.not() };
    }
    return this.comparison();
  }
  private comparison(): Expr {
    const left = this.primary();
    const token = this.peek();
    if (token && ["==", "!=", "<", ">", "<=", ">=", "in"].includes(token)) {
      this.next();
      return { kind: "compare", op: token, left, right: this.primary() };
    }
    if (token === "not" && this.peek(1) === "in") {
      this.position += 2;
      return { kind: "compare", op: "not in", left, right: this.primary() };
    }
    return left;
  }
  private primary(): Expr {
    const token = this.next();
    if (/^\d/.test(token)) {
      if (token.includes(".")) this.fail("floats are not supported by this renderer");
      return { kind: "literal", value: Number(token) };
    }
    if (token.startsWith("'") || token.startsWith('"'))
      return { kind: "literal", value: unquotePython(token) };
    if (token === "(" || token === "[") return this.sequence(token === "(" ? ")" : "]");
    if (!/^[A-Za-z_]/.test(token)) this.fail(`unexpected "${token}"`);
    if (token === "True" || token === "False") return { kind: "literal", value: token === "True" };
    if (token === "None") return { kind: "literal", value: null };
    if (this.peek() === "(") return this.call(token);
    return { kind: "name", name: token };
  }
  private sequence(close: string): Expr {
    const items: Expr[] = [];
    let comma = close === "]";
    while (this.peek() !== close) {
      items.push(this.or());
      if (this.peek() === ",") {
        this.next();
        comma = true;
      } else break;
    }
    this.expect(close);
    return comma || items.length !== 1 ? { kind: "tuple", items } : items[0]!;
  }
  private call(name: string): Expr {
    this.expect("(");
    const args: Expr[] = [];
    const kwargs: Record<string, Expr> = {};
    while (this.peek() !== ")") {
      if (/^[A-Za-z_]/.test(this.peek() ?? "") && this.peek(1) === "=") {
        const key = this.next();
        this.next();
        kwargs[key] = this.or();
      } else {
        args.push(this.or());
      }
      if (this.peek() === ",") this.next();
      else break;
    }
    this.expect(")");
    return { kind: "call", name, args, kwargs };
  }
}

// ---------------------------------------------------------------------------------------------
// Tinybird's parameter types and functions.

const REQUIRED_PARAM_NOT_DEFINED = "Required parameter is not defined";
/** Names Tinybird keeps for itself (DEFAULT_PARAM_NAMES). */
const FORBIDDEN_PARAM_NAMES = new Set(["format", "q"]);

const INTEGER_RANGES: Record<string, [bigint, bigint]> = {
  Int8: [-(2n ** 7n), 2n ** 7n],
  Int16: [-(2n ** 15n), 2n ** 15n],
  Int32: [-(2n ** 31n), 2n ** 31n],
  Int64: [-(2n ** 63n), 2n ** 63n],
  UInt8: [0n, 2n ** 8n],
  UInt16: [0n, 2n ** 16n],
  UInt32: [0n, 2n ** 32n],
  UInt64: [0n, 2n ** 64n],
};

// Tinybird's testers (datatypes.py): `re.match` anchors at the start only, Date also at the end.
const TESTERS: Record<string, (x: string) => boolean> = {
  Date: (x) => /^\d\d\d\d-\d\d-\d\d$/.test(x),
  DateTime: (x) => /^\d\d\d\d.\d\d.\d\d(T|\s)\d\d:\d\d:\d\d/.test(x),
  DateTime64: (x) => /^\d\d\d\d.\d\d.\d\d(T|\s)\d\d:\d\d:\d\d.\d\d\d/.test(x),
};

/** Python's str() of a value, as Tinybird validates `str(x)`. */
function pythonStr(value: Value): string {
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (value instanceof SqlInteger) return String(value.value);
  if (Array.isArray(value)) throw new TemplateError("arrays are not supported by this renderer");
  return String(value);
}

interface TypedArgs {
  value: Value;
  defaultValue: Value;
  defined: boolean;
}

function typedArgs(name: string, args: Value[], kwargs: Record<string, Value>): TypedArgs {
  if (args.length === 0) throw new TemplateError(`${name}() needs the parameter, e.g. ${name}(start_date)`);
  return {
    value: args[0]!,
    defaultValue: "default" in kwargs ? kwargs.default! : (args[1] ?? null),
    defined: "defined" in kwargs ? truthy(kwargs.defined!) : true,
  };
}

/** Tinybird's transform_type: default, required check, then the type's tester. */
function typedValue(type: string, { value, defaultValue, defined }: TypedArgs): Value {
  const given = value ?? defaultValue;
  if (given === null) {
    if (defined) throw new TemplateError(REQUIRED_PARAM_NOT_DEFINED);
    return null;
  }
  const text = pythonStr(given);
  if (type === "String") return text;
  const range = INTEGER_RANGES[type];
  if (range) {
    const valid = (type.startsWith("U") ? /^\d+$/ : /^[+-]?\d+$/).test(text);
    if (valid && BigInt(text) >= range[0] && BigInt(text) < range[1])
      return new SqlInteger(BigInt(text), type);
  } else if (TESTERS[type]?.(text)) {
    return text;
  }
  throw new TemplateError(`Error validating '${text}' to type ${type}`);
}

function booleanValue(value: Value, defaultValue: Value): number {
  if (value === null) return defaultValue === null ? 0 : booleanValue(defaultValue, null);
  if (typeof value === "string" && (value === "0" || value.toLowerCase() === "false")) return 0;
  return truthy(value) ? 1 : 0;
}

function truthy(value: Value): boolean {
  if (value instanceof SqlInteger) return value.value !== 0n;
  if (Array.isArray(value)) return value.length > 0;
  return Boolean(value);
}

function comparable(value: Value): string | number | bigint | boolean | null {
  if (value instanceof SqlInteger) return value.value;
  if (Array.isArray(value)) throw new TemplateError("arrays cannot be compared by this renderer");
  return value;
}

function compare(op: string, leftValue: Value, rightValue: Value): boolean {
  if (op === "in" || op === "not in") {
    if (!Array.isArray(rightValue) && typeof rightValue !== "string") {
      throw new TemplateError(`"in" needs a tuple, list or string, got ${pythonStr(rightValue)}`);
    }
    const found = Array.isArray(rightValue)
      ? rightValue.some((item) => compare("==", leftValue, item))
      : typeof leftValue === "string" && rightValue.includes(leftValue);
    return op === "in" ? found : !found;
  }
  const left = comparable(leftValue);
  const right = comparable(rightValue);
  const numeric = (v: unknown): v is number | bigint => typeof v === "number" || typeof v === "bigint";
  const sameKind = (numeric(left) && numeric(right)) || typeof left === typeof right;
  const equal = numeric(left) && numeric(right) ? BigInt(left) === BigInt(right) : left === right;
  if (op === "==") return equal;
  if (op === "!=") return !equal;
  if (!sameKind || left === null || right === null) {
    throw new TemplateError(
      `'${op}' not supported between ${pythonStr(leftValue)} and ${pythonStr(rightValue)}: wrap the parameter in a type, e.g. Int32(x)`,
    );
  }
  const [l, r] = [left as number | string, right as number | string];
  return op === "<" ? l < r : op === ">" ? l > r : op === "<=" ? l <= r : l >= r;
}

class Evaluator {
  constructor(private readonly params: TemplateParams) {}

  evaluate(expr: Expr): Value {
    switch (expr.kind) {
      case "literal":
        return expr.value;
      case "tuple":
        return expr.items.map((item) => this.evaluate(item));
      case "not":
        return !truthy(this.evaluate(expr.operand));
      case "logic": {
        const left = this.evaluate(expr.left);
        if (expr.op === "and") return truthy(left) ? this.evaluate(expr.right) : left;
        return truthy(left) ? left : this.evaluate(expr.right);
      }
      case "compare":
        return compare(expr.op, this.evaluate(expr.left), this.evaluate(expr.right));
      case "name":
        return this.parameter(expr.name);
      case "call":
        return this.call(expr);
    }
  }

  private parameter(name: string): Value {
    if (FORBIDDEN_PARAM_NAMES.has(name))
      throw new TemplateError(`"${name}" can not be used as a variable name`);
    const value = this.params[name];
    return value === undefined ? null : value;
  }

  private call(expr: Extract<Expr, { kind: "call" }>): Value {
    const args = expr.args.map((arg) => this.evaluate(arg));
    const kwargs = Object.fromEntries(Object.entries(expr.kwargs).map(([k, v]) => [k, this.evaluate(v)]));
    const name = expr.name;
    if (name === "defined") return args[0] !== null && args[0] !== undefined;
    if (name === "error" || name === "custom_error") throw new TemplateError(pythonStr(args[0] ?? null));
    if (name === "Boolean") return booleanValue(args[0] ?? null, kwargs.default ?? args[1] ?? null);
    if (name in INTEGER_RANGES || name in TESTERS || name === "String") {
      return typedValue(name, typedArgs(name, args, kwargs));
    }
    if (name === "date_diff_in_seconds") return dateDiffInSeconds(args, kwargs);
    throw new TemplateError(`'${name}' is not a function this renderer supports`);
  }
}

/**
 * Python's `datetime.strptime` for the %Y %m %d %H %M %S formats the templates use: the instant in
 * milliseconds (UTC), or null when the text does not match or names no day of the calendar
 * (2025-02-30).
 */
function parseDate(text: string, format: string): number | null {
  const fields: string[] = [];
  const pattern = format.replace(/%([YmdHMS])|[.*+?^${}()|[\]\\]/g, (all, field?: string) => {
    if (!field) return `\\${all}`;
    fields.push(field);
    return field === "Y" ? "(\\d{4})" : "(\\d{1,2})";
  });
  const match = new RegExp(`^${pattern}$`).exec(text);
  if (!match) return null;
  const part = (field: string, otherwise: number) => {
    const i = fields.indexOf(field);
    return i < 0 ? otherwise : Number(match[i + 1]);
  };
  const [y, m, d, h, min, sec] = [
    part("Y", 1900),
    part("m", 1),
    part("d", 1),
    part("H", 0),
    part("M", 0),
    part("S", 0),
  ];
  const ms = Date.UTC(y, m - 1, d, h, min, sec);
  const back = new Date(ms);
  const same = back.getUTCFullYear() === y && back.getUTCMonth() === m - 1 && back.getUTCDate() === d;
  return same && h < 24 && min < 60 && sec < 60 ? ms : null;
}

/** Tinybird's `date_diff_in_seconds(date_1, date_2, date_format, backup_date_format, none_if_error)`. */
function dateDiffInSeconds(args: Value[], kwargs: Record<string, Value>): Value {
  const option = (key: string, position: number, otherwise: Value) =>
    kwargs[key] ?? args[position] ?? otherwise;
  const formats = [
    option("date_format", 2, "%Y-%m-%d %H:%M:%S"),
    option("backup_date_format", 3, null),
  ].filter((f): f is string => typeof f === "string");
  const parse = (value: Value) => {
    for (const format of formats) {
      const ms = typeof value === "string" ? parseDate(value, format) : null;
      if (ms !== null) return ms;
    }
    return null;
  };
  const [first, second] = [parse(args[0] ?? null), parse(args[1] ?? null)];
  if (first === null || second === null) {
    if (truthy(option("none_if_error", 4, false))) return null;
    throw new TemplateError(
      `date_diff_in_seconds: the dates do not match the format ${formats.join(" or ")}`,
    );
  }
  return Math.abs(first - second) / 1000;
}

/** Tinybird's expression_wrapper + sqlescape_for_string_expression: what `{{ }}` prints. */
function printValue(value: Value, source: string): string {
  if (typeof value === "string") {
    const escapes: Record<string, string> = {
      "\0": "\\0",
      "\r": "\\r",
      "\b": "\\b",
      "\t": "\\t",
      "\x1a": "\\z",
      "\n": "\\n",
      '"': '\\"',
      "'": "\\'",
      "\\": "\\\\",
      "%": "\\%",
      "`": "\\`",
    };
    return `'${Array.from(value, (c) => escapes[c] ?? c).join("")}'`;
  }
  if (value === null) throw new TemplateError(`expression "${source.slice(0, 20)}" evaluated to null`);
  if (value instanceof SqlInteger) return value.toSql();
  return pythonStr(value);
}

// ---------------------------------------------------------------------------------------------
// Template structure: text, {{ expressions }}, {% if %} blocks, {# comments #}.

type TemplateNode =
  | { kind: "text"; text: string }
  | { kind: "print"; expr: Expr; source: string }
  | { kind: "if"; branches: { condition: Expr | null; body: TemplateNode[] }[] };

function parseTemplate(template: string): TemplateNode[] {
  const root: TemplateNode[] = [];
  const stack: { node: Extract<TemplateNode, { kind: "if" }>; body: TemplateNode[] }[] = [];
  const current = () => stack.at(-1)?.body ?? root;
  const tag = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}|\{#[\s\S]*?#\}/g;
  let last = 0;
  for (const match of template.matchAll(tag)) {
    current().push({ kind: "text", text: template.slice(last, match.index) });
    last = match.index + match[0].length;
    if (match[1] !== undefined) {
      current().push({ kind: "print", expr: ExpressionParser.parse(match[1]), source: match[1].trim() });
    } else if (match[2] !== undefined) {
      const statement = match[2].trim();
      const [, keyword, rest] = /^(\w+)\s*([\s\S]*)$/.exec(statement) ?? [];
      if (keyword === "if") {
        const node: Extract<TemplateNode, { kind: "if" }> = {
          kind: "if",
          branches: [{ condition: ExpressionParser.parse(rest!), body: [] }],
        };
        current().push(node);
        stack.push({ node, body: node.branches[0]!.body });
      } else if (keyword === "elif" || keyword === "else") {
        const open = stack.at(-1);
        if (!open) throw new TemplateError(`{% ${keyword} %} without {% if %}`);
        const branch = { condition: keyword === "elif" ? ExpressionParser.parse(rest!) : null, body: [] };
        open.node.branches.push(branch);
        open.body = branch.body;
      } else if (keyword === "end") {
        if (!stack.pop()) throw new TemplateError("{% end %} without {% if %}");
      } else {
        throw new TemplateError(`{% ${statement} %} is not supported by this renderer`);
      }
    }
  }
  if (stack.length > 0) throw new TemplateError("{% if %} without {% end %}");
  current().push({ kind: "text", text: template.slice(last) });
  return root;
}

function renderNodes(nodes: TemplateNode[], evaluator: Evaluator): string {
  let out = "";
  for (const node of nodes) {
    if (node.kind === "text") out += node.text;
    else if (node.kind === "print") out += printValue(evaluator.evaluate(node.expr), node.source);
    else {
      const branch = node.branches.find(
        (b) => b.condition === null || truthy(evaluator.evaluate(b.condition)),
      );
      if (branch) out += renderNodes(branch.body, evaluator);
    }
  }
  return out;
}

/**
 * Renders one node's SQL with the request's parameters. SQL that does not start with a `%` line is
 * plain SQL for Tinybird and comes back unchanged.
 */
export function renderSql(sql: string, params: TemplateParams = {}): string {
  const match = /^\s*%[ \t]*(?:\r?\n|$)/.exec(sql);
  if (!match) return sql;
  return renderNodes(parseTemplate(sql.slice(match[0].length)), new Evaluator(params));
}

// ---------------------------------------------------------------------------------------------
// Test seam: chDB's now() is the machine's clock; a generated history has its own "now".

/**
 * Splits SQL into code and quoted or commented parts, so rewrites never touch string literals,
 * identifiers or `--` comments (an apostrophe in a comment, `month's`, is not a string's start).
 */
function mapCode(sql: string, rewrite: (code: string) => string): string {
  return sql
    .split(/(--[^\n]*|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*")/)
    .map((part, i) => (i % 2 === 1 ? part : rewrite(part)))
    .join("");
}

/**
 * Replaces ClickHouse's clock functions by a fixed instant (UTC): `now()` → that DateTime, `today()`
 * → its date. Any other clock function is refused, so a pipe cannot silently read the real clock.
 */
export function pinClock(sql: string, now: Date): string {
  const iso = now.toISOString();
  const dateTime = `toDateTime('${iso.slice(0, 10)} ${iso.slice(11, 19)}')`;
  const date = `toDate('${iso.slice(0, 10)}')`;
  return mapCode(sql, (code) =>
    code.replace(
      /\b(now|today|yesterday|now64|nowInBlock|current_date|current_timestamp)\b(\s*\(\s*\))?/gi,
      (all, fn: string, call?: string) => {
        const name = fn.toLowerCase();
        if (name === "now" && call) return dateTime;
        if (name === "today" && call) return date;
        throw new TemplateError(`pinClock handles now() and today() only, found "${all}"`);
      },
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// A whole pipe as one query.

export interface RenderPipeOptions {
  /** Pins now()/today() to this instant (see pinClock). */
  now?: Date;
}

/**
 * The query Tinybird runs for a pipe's endpoint: every node up to the endpoint node rendered with
 * the parameters, earlier nodes visible to later ones by name (Tinybird inlines them as subqueries;
 * a ClickHouse CTE does the same), the endpoint node's own SQL at the top level.
 */
export function renderPipeSql(
  pipe: PipeDefinition,
  params: TemplateParams = {},
  options: RenderPipeOptions = {},
): string {
  const endpointIndex = pipe.endpointNode
    ? pipe.nodes.findIndex((n) => n.name === pipe.endpointNode)
    : pipe.nodes.length - 1;
  const nodes = pipe.nodes.slice(0, endpointIndex + 1).map((node) => {
    const sql = renderSql(node.sql, params);
    return { name: node.name, sql: options.now ? pinClock(sql, options.now) : sql };
  });
  const endpoint = nodes.pop()!;
  if (nodes.length === 0) return endpoint.sql;
  const ctes = nodes.map((n) => `\`${n.name}\` AS (\n${n.sql}\n)`).join(",\n");
  const ownWith = /^\s*WITH\b/i.exec(endpoint.sql);
  return ownWith
    ? `WITH ${ctes},\n${endpoint.sql.slice(ownWith[0].length)}`
    : `WITH ${ctes}\n${endpoint.sql}`;
}
