import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Browser tests need Chromium: npm run test:browser (vitest.browser.config.mts).
    exclude: ["test/browser/**", "**/node_modules/**"],
    // chDB segfaults under worker threads, and Pulumi's mocks are process-global: one fork per file.
    pool: "forks",
    isolate: true,
    // Vitest's default is one fork per core less one: a single fork on a 2-core machine. The work is
    // in the forks (chDB, esbuild, the local servers), so one per core halves the wall time there.
    maxWorkers: "100%",
    reporters: ["default", "./test/support/summary-reporter.mts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
