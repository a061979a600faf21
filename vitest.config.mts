import { defineConfig } from "vitest/config";
import LongestFirstSequencer from "./test/support/longest-first-sequencer.mjs";

/**
 * Test files that open chDB (embedded ClickHouse), which allows one session per process: each runs in
 * a process of its own. So does the delivery simulation (hundreds of containers on real sockets), the
 * heaviest in-process run, which overran its time limit in a shared process on a loaded machine.
 */
const OWN_PROCESS = [
  "test/analytics/**/*.test.ts",
  "test/local/**/*.test.ts",
  "test/tinybird/**/*.test.ts",
  "test/operations/backfill-analytics.test.ts",
  "test/operations/reconcile.test.ts",
  "test/reliability/delivery.test.ts",
];

export default defineConfig({
  test: {
    // Browser tests need Chromium: npm run test:browser (vitest.browser.config.mts).
    exclude: ["test/browser/**", "**/node_modules/**"],
    // chDB segfaults under worker threads: child processes.
    pool: "forks",
    // Vitest's default is one fork per core less one: a single fork on a 2-core machine. The work is
    // in the forks (chDB, esbuild, the local servers), so one per core halves the wall time there.
    maxWorkers: "100%",
    reporters: ["default", "./test/support/summary-reporter.mts"],
    // The longest files first, whatever vitest cached (CI starts from a clean clone).
    sequence: { sequencer: LongestFirstSequencer },
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: "own-process", include: OWN_PROCESS, isolate: true } },
      // The rest share a process per worker, so Pulumi, the AWS SDK and the rest are imported once per
      // worker, not once per file (about a second of CPU each). What a file changes in the process is
      // put back after it (test/support/shared-process.ts); Pulumi's mocks are installed by each file.
      {
        extends: true,
        test: {
          name: "shared-process",
          include: ["test/**/*.test.ts"],
          exclude: [...OWN_PROCESS, "test/browser/**", "**/node_modules/**"],
          isolate: false,
          setupFiles: ["test/support/shared-process.ts"],
        },
      },
    ],
  },
});
