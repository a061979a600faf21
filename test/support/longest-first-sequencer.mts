import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The files that take longest, longest first (measured on 2 cores): started first, they finish
 * before the short ones do, so neither worker is left running a long file alone at the end. Vitest's
 * own order (by the durations it cached, or by file size on a clean clone such as CI's, which would
 * start a short but slow file like rollups.test.ts late) follows. A stale list costs seconds, no more.
 */
const LONGEST = [
  "test/analytics/dashboard-endpoints.test.ts",
  "test/analytics/pipes.test.ts",
  "test/analytics/rollups.test.ts",
  "test/reliability/delivery.test.ts",
  "test/local/pipeline.test.ts",
  "test/reliability/bad-input.test.ts",
  "test/analytics/billing.test.ts",
  "test/clerk/cli.test.ts",
  "test/operations/backfill-analytics.test.ts",
  "test/local/store.test.ts",
  "test/tinybird/forward-data.test.ts",
  "test/tinybird/cli.test.ts",
];

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = LONGEST.findIndex((path) => file.moduleId.endsWith(`/${path}`));
      return index < 0 ? LONGEST.length : index;
    };
    // Files in a process of their own first: a worker shared by several files is stopped whenever the
    // next file in line needs its own. Array.prototype.sort is stable: the rest keep vitest's order.
    const shared = (file: TestSpecification) => (file.project.config.isolate ? 0 : 1);
    return sorted.sort((a, b) => shared(a) - shared(b) || rank(a) - rank(b));
  }
}
