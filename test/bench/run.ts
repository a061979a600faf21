/**
 * `npm run bench`: runs every `*.bench.ts` beside this file in turn; each prints its own figures.
 * Figures, not pass/fail: targets are printed next to what was measured.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

async function main(): Promise<void> {
  const only = process.argv[2];
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith(".bench.ts"))
    .filter((f) => !only || f.startsWith(only))
    .sort();
  for (const file of files) {
    const mod = (await import(join(__dirname, file))) as { run?: () => Promise<void> };
    if (typeof mod.run !== "function") throw new Error(`${file} exports no run()`);
    process.stdout.write(`\n## ${file.replace(/\.bench\.ts$/, "")}\n\n`);
    await mod.run();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
