/**
 * The line syntax Tinybird datafiles share (`.datasource`, `.pipe`): a directive starts at column 0
 * (`KEYWORD value`), and `KEYWORD >` opens a block of the indented lines that follow it.
 */
import { CommandError } from "../command-kit/command-shell";

/** One top-level instruction of a datafile. */
export interface Directive {
  keyword: string;
  /** The rest of the line after the keyword, trimmed (`>` for a block). */
  value: string;
  /** The block's text, dedented, when the directive is `KEYWORD >`. */
  block?: string;
  /** 1-based line number, for error messages. */
  line: number;
}

/** A datafile that cannot be read: names the file, the line and what is wrong. */
export class DatafileError extends CommandError {
  override name = "DatafileError";
  constructor(file: string, line: number | undefined, problem: string) {
    super(`${file}${line ? ` line ${line}` : ""}: ${problem}`);
  }
}

const isIndented = (line: string) => /^[ \t]/.test(line);
const isBlank = (line: string) => line.trim() === "";

function dedent(lines: string[]): string {
  const widths = lines.filter((l) => !isBlank(l)).map((l) => /^[ \t]*/.exec(l)![0].length);
  const cut = widths.length ? Math.min(...widths) : 0;
  return lines
    .map((l) => (isBlank(l) ? "" : l.slice(cut)))
    .join("\n")
    .trim();
}

/** Splits a datafile into its directives; `#` lines at column 0 are comments. */
export function readDirectives(text: string, file: string): Directive[] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const directives: Directive[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (isBlank(line) || line.startsWith("#")) continue;
    if (isIndented(line)) {
      throw new DatafileError(file, i + 1, `indented line outside a block: "${line.trim()}"`);
    }
    const match = /^(\S+)\s*(.*)$/.exec(line)!;
    const directive: Directive = { keyword: match[1]!.toUpperCase(), value: match[2]!.trim(), line: i + 1 };
    if (directive.value === ">") {
      const body: string[] = [];
      while (i + 1 < lines.length && (isBlank(lines[i + 1]!) || isIndented(lines[i + 1]!)))
        body.push(lines[++i]!);
      directive.block = dedent(body);
    }
    directives.push(directive);
  }
  return directives;
}

/** Strips one pair of matching surrounding quotes (`"x"` or `'x'`). */
export function unquote(value: string): string {
  const match = /^(["'])(.*)\1$/s.exec(value.trim());
  return match ? match[2]! : value.trim();
}

/** A `TOKEN <name> <PERMISSION>` line: the Forward way of granting a named token access. */
export interface TokenDeclaration {
  name: string;
  /** `APPEND` (data sources) or `READ` (data sources and pipes). */
  permission: string;
}

export function parseTokenLine(directive: Directive, file: string): TokenDeclaration {
  const match = /^("[^"]+"|'[^']+'|\S+)\s+(\S+)$/.exec(directive.value);
  if (!match) {
    throw new DatafileError(
      file,
      directive.line,
      `TOKEN needs a name and a permission, e.g. TOKEN clerk_read READ`,
    );
  }
  return { name: unquote(match[1]!), permission: match[2]!.toUpperCase() };
}

/** Splits `text` at `separator` characters that are outside (), [], quotes and backticks. */
export function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === "`") quote = c;
    else if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (c === separator && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
