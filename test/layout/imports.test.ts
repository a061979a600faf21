/**
 * The import rule (docs/development.md#layout): `lambda/` imports nothing outside itself (and no
 * Pulumi); the shared homes import one another and `lambda/`; each entry folder imports its own
 * files, the shared homes and `lambda/`, never another entry folder's insides. And the one error
 * base: every error class outside `lambda/` is a CommandError.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { expect, it } from "vitest";

const ROOT = resolve(__dirname, "..", "..");

const LAMBDA = "lambda";
const SHARED_HOMES = ["tinybird-model", "clerk-access", "command-kit", "stack-access", "dashboard-app"];
const ENTRY_FOLDERS = ["infra", "operations", "local", "dashboard"];
/** Top-level folders that hold no code the rule covers. */
const OTHER_FOLDERS = ["test", "docs", "tinybird", "node_modules"];

function codeFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: "utf8" })
    .filter((f) => /\.m?ts$/.test(f))
    .map((f) => join(folder, f).split(sep).join("/"));
}

/** Every import of `file` (module specifiers: relative paths resolved from the root, packages as is). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [
    ...text.matchAll(
      /\bfrom\s+"([^"]+)"|\bimport\s*\(\s*"([^"]+)"\s*\)|\bimport\s+"([^"]+)"|require\(\s*"([^"]+)"\s*\)/g,
    ),
  ]
    .map((m) => m[1] ?? m[2] ?? m[3] ?? m[4] ?? "")
    .map((spec) =>
      spec.startsWith(".")
        ? relative(ROOT, resolve(ROOT, dirname(file), spec))
            .split(sep)
            .join("/")
        : spec,
    );
}

/** What a folder may import, besides packages. */
function allowed(folder: string): string[] {
  if (folder === LAMBDA) return [LAMBDA];
  if (SHARED_HOMES.includes(folder)) return [...SHARED_HOMES, LAMBDA];
  return [folder, ...SHARED_HOMES, LAMBDA];
}

it("knows every top-level folder: lambda/, a shared home, an entry folder, or no code", () => {
  const folders = readdirSync(ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("."))
    .map((d) => d.name);
  const known = [LAMBDA, ...SHARED_HOMES, ...ENTRY_FOLDERS, ...OTHER_FOLDERS];
  expect(folders.filter((f) => !known.includes(f))).toEqual([]);
});

it("holds: lambda/ imports only itself, the shared homes no entry folder, an entry folder no other", () => {
  const offending: string[] = [];
  for (const folder of [LAMBDA, ...SHARED_HOMES, ...ENTRY_FOLDERS]) {
    const files = codeFiles(folder);
    expect(files.length, folder).toBeGreaterThan(0);
    for (const file of files) {
      for (const target of importsOf(file)) {
        const local = target.includes("/") && readdirSync(ROOT).includes(target.split("/")[0]!);
        if (!local) {
          if (folder === LAMBDA && target.startsWith("@pulumi/")) offending.push(`${file} → ${target}`);
          continue;
        }
        if (!allowed(folder).includes(target.split("/")[0]!)) offending.push(`${file} → ${target}`);
      }
    }
  }
  expect(offending).toEqual([]);
});

/**
 * `lambda/` cannot import CommandError (command-kit/), and needs no base: its two error classes never
 * leave it as exceptions. TimeoutError is http-post.ts's reason for destroying a request, read back
 * into a `{ ok: false, failure: "timeout" }` value; RedactionConfigError is caught where a redactor is
 * made and becomes a value (the forwarder's "misconfigured" outcome, the backfill's input problem).
 */
const LAMBDA_ERRORS = [
  "lambda/http-post.ts: TimeoutError",
  "lambda/redaction/errors.ts: RedactionConfigError",
];

it("has one error base: every error class outside lambda/ is a CommandError", () => {
  const classes = [LAMBDA, ...SHARED_HOMES, ...ENTRY_FOLDERS].flatMap((folder) =>
    codeFiles(folder).flatMap((file) =>
      [...readFileSync(join(ROOT, file), "utf8").matchAll(/\bclass\s+(\w+)\s+extends\s+(\w*Error)\b/g)].map(
        (m) => ({ at: `${file}: ${m[1]}`, name: m[1]!, base: m[2]! }),
      ),
    ),
  );
  // Each base must itself be CommandError or a class found here that leads back to it.
  const leadsToBase = (name: string, seen = new Set<string>()): boolean => {
    if (name === "CommandError") return true;
    const found = classes.find((c) => c.name === name);
    if (!found || seen.has(name)) return false;
    return leadsToBase(found.base, seen.add(name));
  };
  const outside = classes.filter(
    (c) => c.name !== "CommandError" && !leadsToBase(c.base) && !LAMBDA_ERRORS.includes(c.at),
  );
  expect(classes.length).toBeGreaterThan(LAMBDA_ERRORS.length + 1);
  expect(outside.map((c) => `${c.at} extends ${c.base}`)).toEqual([]);
  expect(classes.filter((c) => LAMBDA_ERRORS.includes(c.at)).map((c) => c.at)).toEqual(LAMBDA_ERRORS);
});
