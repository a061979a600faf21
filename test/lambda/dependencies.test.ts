/** Dependencies point one way: infra/ deploys lambda/, lambda/ imports nothing from infra/. */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { expect, it } from "vitest";

const ROOT = resolve(__dirname, "..", "..");

it("no file under lambda/ imports from infra/ or from Pulumi", () => {
  const files = readdirSync(join(ROOT, "lambda"), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(ROOT, "lambda", f));
  expect(files.length).toBeGreaterThan(10);
  const offending = files.flatMap((file) =>
    [
      ...readFileSync(file, "utf8").matchAll(
        /\bfrom\s+"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)|require\(\s*"([^"]+)"\s*\)/g,
      ),
    ]
      .map((m) => m[1] ?? m[2] ?? m[3] ?? "")
      .filter(
        (spec) =>
          spec.startsWith("@pulumi/") || resolve(join(file, ".."), spec).startsWith(join(ROOT, "infra")),
      )
      .map((spec) => `${relative(ROOT, file)}: ${spec}`),
  );
  expect(offending).toEqual([]);
});
