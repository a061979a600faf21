/** Fixture loading and small object helpers for the redaction tests. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { listSampleTypes, SAMPLES_DIR } from "../../local/send";

export interface Fixture {
  /** The event type, e.g. `email.created` (the file name without `.json`). */
  readonly name: string;
  /** The raw JSON text as Clerk would send it. */
  readonly raw: string;
}

export function loadFixtures(): Fixture[] {
  return listSampleTypes().map((name) => ({
    name,
    raw: readFileSync(join(SAMPLES_DIR, `${name}.json`), "utf8"),
  }));
}

/** Freezes a whole tree, so any mutation by the code under test throws (tests run in strict mode). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Reads a dot path (`data.email_addresses.0.email_address`). */
export function getPath(value: unknown, path: string): unknown {
  if (path === "") return value;
  let at = value;
  for (const segment of path.split(".")) at = (at as Record<string, unknown> | undefined)?.[segment];
  return at;
}

/** Sets a dot path in place (on a test's own copy), keeping the key where it is. */
export function setPath(value: unknown, path: string, replacement: unknown): void {
  const segments = path.split(".");
  const last = segments.pop()!;
  const parent = getPath(value, segments.join(".")) as Record<string, unknown>;
  if (!(last in parent)) throw new Error(`test expectation names a missing path: ${path}`);
  parent[last] = replacement;
}

/**
 * Whether a secret occurs as a whole token: the fixture's code 123456 also happens to sit inside the
 * sender's phone number +12345678901, which is not a leak.
 */
export function containsToken(text: string, secret: string): boolean {
  const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`).test(text);
}
