/**
 * `npm run bench`: runs every `*.bench.ts` beside this file in turn; each prints its own figures.
 * Figures, not pass/fail: targets are printed next to what was measured.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { type Command, runMain } from "../../command-kit/command-runner";
import { CommandError } from "../../command-kit/command-shell";

const BENCHES = readdirSync(__dirname)
  .filter((f) => f.endsWith(".bench.ts"))
  .map((f) => f.replace(/\.bench\.ts$/, ""))
  .sort();

export const benchCommand: Command<{ events: { type: "string" } }> = {
  usage:
    `usage: npm run bench [-- <name>] [--events N]\n` +
    `  Every bench, or those whose name starts with <name>: ${BENCHES.join(", ")}.\n` +
    "  --events N: the analytics bench's history size (docs/analytics.md); each bench's other settings are\n" +
    "  environment variables (docs/reliability-and-performance.md).",
  // The analytics bench reads --events itself; declared here so that it passes.
  options: { events: { type: "string" } },
  positionals: true,
  async run({ positionals, io }) {
    const only = positionals[0];
    const chosen = BENCHES.filter((name) => !only || name.startsWith(only));
    if (chosen.length === 0)
      throw new CommandError(`no bench named ${only}: choose one of ${BENCHES.join(", ")}`);
    for (const name of chosen) {
      const mod = (await import(join(__dirname, `${name}.bench.ts`))) as { run?: () => Promise<void> };
      if (typeof mod.run !== "function")
        throw new CommandError(`${name}.bench.ts exports no run(): export one`);
      io.stdout(`\n## ${name}\n`);
      await mod.run();
    }
  },
};

if (require.main === module) void runMain(benchCommand);
