import { defineConfig } from "vitest/config";

// The dashboard in Debian's headless Chromium: `npm run test:browser` (needs apt-get install chromium).
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    pool: "forks",
    isolate: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
