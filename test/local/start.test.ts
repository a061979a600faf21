/** npm start's own messages: its banner, a second start on the same data folder, and what a rebuild did. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recordRunning } from "../../local/data-folder";
import { alreadyRunning, describeSync, startBanner } from "../../local/start";

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "npm-start-"));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe("the banner", () => {
  const banner = (url: string, webhookUrl: string, defaultDataDir: boolean) =>
    startBanner({ url, webhookUrl, secretFrom: "x", dataDir: "/tmp/d", defaultDataDir })
      .split("\n")
      .filter((line) => /npm (start|run)/.test(line))
      .map((line) => line.trim());

  it("tells to restart with a Clerk endpoint's secret on the data folder and ports it was started with", () => {
    expect(banner("http://127.0.0.1:8797", "http://127.0.0.1:41234/webhooks/clerk", false)).toEqual([
      "sample events         LOCAL_DATA_DIR=/tmp/d npm run send",
      "90 days of history    LOCAL_DATA_DIR=/tmp/d npm run seed -- --days 90",
      "LOCAL_DATA_DIR=/tmp/d PORT=8797 WEBHOOK_PORT=41234 CLERK_WEBHOOK_SECRET=<that endpoint's signing secret> npm start",
    ]);
    // Defaults stay unsaid.
    expect(banner("http://127.0.0.1:8787", "http://127.0.0.1:8789/webhooks/clerk", true)).toEqual([
      "sample events         npm run send",
      "90 days of history    npm run seed -- --days 90",
      "CLERK_WEBHOOK_SECRET=<that endpoint's signing secret> npm start",
    ]);
  });
});

describe("a second npm start on the same data folder", () => {
  it("says where the first one runs and how to start another, instead of chDB's lock error", () => {
    expect(alreadyRunning(dataDir, 8787, 8789)).toBeUndefined();
    const forget = recordRunning(dataDir, {
      url: "http://127.0.0.1:8787",
      webhookUrl: "http://127.0.0.1:8789/webhooks/clerk",
      signingSecret: "file",
    });
    expect(alreadyRunning(dataDir, 8787, 8789)).toBe(
      `npm start already runs on ${dataDir} (process ${process.pid}): dashboard http://127.0.0.1:8787/, ` +
        "webhook http://127.0.0.1:8789/webhooks/clerk. Use that one, stop it (Ctrl-C in its terminal, or " +
        `kill ${process.pid}), or start another with its own folder and ports: LOCAL_DATA_DIR=.local-2 PORT=8797 WEBHOOK_PORT=8799 npm start`,
    );
    // Started on any free port (0), the second one is told to do the same.
    expect(alreadyRunning(dataDir, 0, 0)).toMatch(
      / LOCAL_DATA_DIR=\.local-2 PORT=0 WEBHOOK_PORT=0 npm start$/,
    );
    forget();
    expect(alreadyRunning(dataDir, 8787, 8789)).toBeUndefined();
  });

  it("ignores the record of one that died without cleaning up", () => {
    // No process has pid 2^22 + 1 (Linux's pid_max is at most 2^22).
    writeFileSync(
      join(dataDir, "npm-start.json"),
      JSON.stringify({ pid: 4_194_305, url: "x", webhookUrl: "y" }),
    );
    expect(alreadyRunning(dataDir, 8787, 8789)).toBeUndefined();
  });
});

describe("what a rebuild prints", () => {
  it("names the migration and each rollup rebuilt, and nothing when nothing changed", () => {
    const unchanged = { created: false, rebuilt: [], views: [], dropped: [], landingRows: 10 };
    expect(describeSync(unchanged, 5)).toBeUndefined();
    expect(
      describeSync(
        {
          ...unchanged,
          migrated: { from: "clerk_events", to: "clerk_events", rows: 1234, how: "re-ingested from record" },
          rebuilt: [{ table: "clerk_events_users", rows: 56 }],
          views: ["clerk_events_users_mv"],
          landingRows: 1234,
        },
        2100,
      ),
    ).toBe(
      "migrated clerk_events (1,234 events re-ingested from record); rebuilt clerk_events_users (56 rows) from 1,234 stored events; views clerk_events_users_mv in 2.1 s",
    );
  });
});
