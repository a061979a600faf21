/**
 * Runs before each test file that shares its worker process with others (vitest.config.mts): what a
 * file changes in the process (environment variables, fake timers, spies, the exit code) is put back
 * once it ends, so the next file starts as it would in a process of its own.
 */
import { afterAll, vi } from "vitest";

const environment = { ...process.env };

afterAll(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const name of Object.keys(process.env)) if (!(name in environment)) delete process.env[name];
  Object.assign(process.env, environment);
  process.exitCode = undefined;
});
