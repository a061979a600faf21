/**
 * The browser suite's one seeded pipeline, started once by vitest.browser.config.mts's globalSetup
 * and shared by every browser test file (seeding is most of a file's setup): files reach it through
 * `inject("sandbox")`, read it and never write to it.
 */
import { inject } from "vitest";
import type { TestProject } from "vitest/node";
import { startSandbox } from "../../local/sandbox";
import { seed } from "../../local/seed";
import { type DashboardWorld, startDashboardWorld } from "../support/dashboard-world";

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

/**
 * `npm run dashboard` against a deployed workspace: a Tinybird that insists on `token`, answering
 * from the shared sandbox's store, and the proxy in front of it.
 */
export function workspaceOverSandbox(sandbox: SharedSandbox, token: string): Promise<DashboardWorld> {
  return startDashboardWorld(token, async (req) => {
    const answer = await fetch(`${sandbox.url}${req.url}`, {
      headers: { authorization: `Bearer ${sandbox.storeToken}` },
    });
    return {
      status: answer.status,
      headers: { "content-type": "application/json" },
      body: await answer.text(),
    };
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sandbox = await startSandbox({ now: () => NOW });
  await seed({ url: sandbox.url, token: sandbox.storeToken, days: 120, now: NOW, seed: 3 });
  project.provide("sandbox", { url: sandbox.url, storeToken: sandbox.storeToken });
  return () => sandbox.close();
}
