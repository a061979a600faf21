/**
 * CloudWatch Logs' JSON filter patterns (`{ $.status = 200 && $.outcome != "x" }`), evaluated against
 * a log line as CloudWatch documents them ("Filter pattern syntax for metric filters": JSON
 * selectors `$.a.b`, `=`, `!=`, `<`, `>`, `<=`, `>=`, strings in double quotes with `*` as a
 * wildcard, numbers, `&&`, `||` and parentheses). Enough to prove a stack's metric filter matches
 * the lines the forwarder really writes; not a general implementation.
 */

type Token = { kind: "op" | "paren" | "logic" | "selector" | "string" | "number"; text: string };

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  const re =
    /\s*(?:(\$(?:\.[A-Za-z0-9_]+)+)|("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?)|(&&|\|\|)|(!=|<=|>=|=|<|>)|([()]))/y;
  let at = 0;
  while (at < pattern.length) {
    if (/^\s*$/.test(pattern.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(pattern);
    if (!m) throw new Error(`cannot read the filter pattern at "${pattern.slice(at)}"`);
    at = re.lastIndex;
    if (m[1]) tokens.push({ kind: "selector", text: m[1] });
    else if (m[2]) tokens.push({ kind: "string", text: JSON.parse(m[2]) as string });
    else if (m[3]) tokens.push({ kind: "number", text: m[3] });
    else if (m[4]) tokens.push({ kind: "logic", text: m[4] });
    else if (m[5]) tokens.push({ kind: "op", text: m[5] });
    else tokens.push({ kind: "paren", text: m[6]! });
  }
  return tokens;
}

function select(document: unknown, selector: string): unknown {
  let value = document;
  for (const key of selector.slice(2).split(".")) {
    value = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

function compare(actual: unknown, op: string, expected: Token): boolean {
  if (expected.kind === "string") {
    if (typeof actual !== "string") return op === "!=";
    const wildcard = new RegExp(
      `^${expected.text
        .split("*")
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*")}$`,
    );
    const equal = wildcard.test(actual);
    if (op === "=") return equal;
    if (op === "!=") return !equal;
    throw new Error(`${op} does not compare strings`);
  }
  if (typeof actual !== "number") return op === "!=";
  const n = Number(expected.text);
  switch (op) {
    case "=":
      return actual === n;
    case "!=":
      return actual !== n;
    case "<":
      return actual < n;
    case ">":
      return actual > n;
    case "<=":
      return actual <= n;
    default:
      return actual >= n;
  }
}

/** Whether CloudWatch would count `line` (one log event) under the JSON filter `pattern`. */
export function matchesFilter(pattern: string, line: string): boolean {
  const body = /^\s*\{(.*)\}\s*$/s.exec(pattern);
  if (!body) throw new Error(`not a JSON filter pattern: ${pattern}`);
  let document: unknown;
  try {
    document = JSON.parse(line);
  } catch {
    return false; // a JSON pattern matches JSON log events only
  }
  const tokens = tokenize(body[1]!);
  let i = 0;
  const expression = (): boolean => {
    let value = term();
    while (tokens[i]?.kind === "logic") {
      const logic = tokens[i++]!.text;
      const right = term();
      value = logic === "&&" ? value && right : value || right;
    }
    return value;
  };
  const term = (): boolean => {
    const token = tokens[i++];
    if (token?.kind === "paren" && token.text === "(") {
      const value = expression();
      if (tokens[i++]?.text !== ")") throw new Error(`unbalanced parentheses in ${pattern}`);
      return value;
    }
    const op = tokens[i++];
    const expected = tokens[i++];
    if (token?.kind !== "selector" || op?.kind !== "op" || !expected)
      throw new Error(`cannot read ${pattern}`);
    return compare(select(document, token.text), op.text, expected);
  };
  const result = expression();
  if (i !== tokens.length) throw new Error(`unexpected "${tokens[i]!.text}" in ${pattern}`);
  return result;
}
