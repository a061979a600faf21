/**
 * The browser suite's one seeded pipeline, started once by vitest.browser.config.mts's globalSetup
 * and shared by every browser test file (seeding is most of a file's setup): files reach it through
 * `inject("sandbox")`, read it and never write to it.
 */
import { inject } from "vitest";
import type { TestProject } from "vitest/node";
import { startSandbox } from "../../local/sandbox";
import { seed } from "../../local/seed";

/** The sandbox's today: its last week and month are not over. */
const NOW = new Date(Date.UTC(2025, 2, 31, 15));

export interface SharedSandbox {
  url: string;
  storeToken: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    sandbox: SharedSandbox;
  }
}

/** In a test file: the seeded pipeline's address and its store token. */
export const sharedSandbox = (): SharedSandbox => inject("sandbox");

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sandbox = await startSandbox({ now: () => NOW });
  await seed({ url: sandbox.url, token: sandbox.storeToken, days: 120, now: NOW, seed: 3 });
  project.provide("sandbox", { url: sandbox.url, storeToken: sandbox.storeToken });
  return () => sandbox.close();
}
