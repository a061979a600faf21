import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Browser tests need Chromium: npm run test:browser (vitest.browser.config.mts).
    exclude: ["test/browser/**", "**/node_modules/**"],
    // chDB segfaults under worker threads, and Pulumi's mocks are process-global: one fork per file.
    pool: "forks",
    isolate: true,
    reporters: ["default", "./test/support/summary-reporter.mts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
