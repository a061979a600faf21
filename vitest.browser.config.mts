import { defineConfig } from "vitest/config";

// The dashboard in Debian's headless Chromium: `npm run test:browser` (needs apt-get install chromium).
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    // One seeded pipeline for every file (seeding is most of a file's setup): see seeded-sandbox.ts.
    globalSetup: ["test/browser/seeded-sandbox.ts"],
    pool: "forks",
    isolate: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
