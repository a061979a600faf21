/**
 * Work on ClickHouse written once as a generator of queries, run either synchronously (tests, the
 * benches: a chDB `Session.query`) or asynchronously (the local store: `Session.queryAsync`, off the
 * event loop). The generator yields each query and receives its output; a failed query is thrown
 * back at the `yield`, so the work handles failures with an ordinary try/catch.
 */
import type { Session } from "chdb";

export interface Query {
  sql: string;
  /** chDB output format; CSV when omitted. */
  format?: string;
}

export type SqlSteps<T> = Generator<Query, T, string>;

/** One query; its output as text. */
export function* sql(text: string, format?: string): SqlSteps<string> {
  return yield format === undefined ? { sql: text } : { sql: text, format };
}

/** One query's rows (JSONEachRow). */
export function* rows<T = Record<string, unknown>>(text: string): SqlSteps<T[]> {
  const out = yield* sql(text, "JSONEachRow");
  return out
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);
}

export function runSync<T>(steps: SqlSteps<T>, query: (q: Query) => string): T {
  let next = steps.next();
  while (!next.done) {
    let output: string;
    try {
      output = query(next.value);
    } catch (error) {
      next = steps.throw(error);
      continue;
    }
    next = steps.next(output);
  }
  return next.value;
}

export async function runAsync<T>(steps: SqlSteps<T>, query: (q: Query) => Promise<string>): Promise<T> {
  let next = steps.next();
  while (!next.done) {
    let output: string;
    try {
      output = await query(next.value);
    } catch (error) {
      next = steps.throw(error);
      continue;
    }
    next = steps.next(output);
  }
  return next.value;
}

/** Runs the steps on a chDB session, blocking. */
export function runOnSession<T>(session: Session, steps: SqlSteps<T>): T {
  return runSync(steps, (q) => session.query(q.sql, q.format ?? "CSV"));
}

/** Runs the steps on a chDB session, each query on chDB's own thread. */
export function runOnSessionAsync<T>(session: Session, steps: SqlSteps<T>): Promise<T> {
  return runAsync(steps, async (q) =>
    (await session.queryAsync(q.sql, { format: q.format ?? "CSV" })).text(),
  );
}

/** ClickHouse's message without its "Code: NN. DB::Exception:" prefix and stack. */
export function clickHouseMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .split("\n")[0]!
    .replace(/^(Query failed: )?Code: \d+\. DB::Exception: /, "")
    .replace(/\s*\([A-Z_]+\)(\s*\(version [^)]*\))?\.?$/, "")
    .trim();
}

/** `name` quoted as a ClickHouse identifier. */
export const ident = (name: string) => `\`${name.replace(/\\/g, "\\\\").replace(/`/g, "\\`")}\``;

/** `text` as a ClickHouse string literal. */
export const literal = (text: string) => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
