/** npm run seed: the history it appends ends at its "now", and what it says when no npm start runs on the folder. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../command-kit/command-runner";
import { seedCommand } from "../../local/seed";
import { generateHistory } from "../../local/synthetic-history";
import { type StubServer, startStub } from "../support/http-stub";

describe("the synthetic history", () => {
  it("receives nothing after its end, Svix's re-deliveries still after the first delivery", () => {
    // Two days of 20 users (HISTORY_NOW's end) hold a retry that Svix's schedule puts hours after the end.
    const history = generateHistory({ days: 2, users: 20 });
    const now = history.now.getTime();
    const first = new Map<string, number>();
    let retries = 0;
    for (const line of history.lines) {
      const { event_id, received_at, timestamp } = JSON.parse(line);
      const at = Date.parse(received_at);
      expect(at).toBeLessThanOrEqual(now);
      expect(at).toBeGreaterThanOrEqual(timestamp);
      const seen = first.get(event_id);
      if (seen === undefined) first.set(event_id, at);
      else {
        retries++;
        expect(at).toBeGreaterThanOrEqual(seen);
      }
    }
    expect(retries).toBeGreaterThan(0);
  });
});

describe("npm run seed when no npm start runs on LOCAL_DATA_DIR", () => {
  let dataDir: string;
  let other: StubServer;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "seed-no-npm-start-"));
    // A store token left by an npm start that has stopped: no npm-start.json.
    writeFileSync(join(dataDir, "store-token"), "local_token\n");
    other = await startStub(() => ({ status: 403, body: { error: "invalid token" } }));
  });
  afterAll(async () => {
    await other.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const seedWith = async (defaultUrl: string) => {
    const printed: string[] = [];
    const io = {
      stdout: (l: string) => printed.push(l),
      stderr: (l: string) => printed.push(l),
      exit: () => {},
    };
    const code = await runCommand(
      seedCommand({ defaultUrl }),
      ["--days", "1"],
      { LOCAL_DATA_DIR: dataDir },
      io,
    );
    return { code, printed };
  };
  const fix = () =>
    `Start LOCAL_DATA_DIR=${dataDir} npm start in another terminal, or give the address of the npm start to seed with --url.`;

  it("says so first, then that npm start's default address refused the folder's token, and the fixes", async () => {
    expect(await seedWith(other.url)).toEqual({
      code: 1,
      printed: [
        `no npm start runs on ${dataDir} (no npm-start.json of a live process there), so this tried npm start's default ` +
          `address ${other.url}: it refused the store token (an npm start on another data folder?). ${fix()}`,
      ],
    });
  });

  it("says so first, then that npm start's default address did not answer, and the fixes", async () => {
    const closed = await startStub(() => ({ status: 200 }));
    await closed.close();
    expect(await seedWith(closed.url)).toEqual({
      code: 1,
      printed: [
        `no npm start runs on ${dataDir} (no npm-start.json of a live process there), so this tried npm start's default ` +
          `address ${closed.url}: it did not answer (ECONNREFUSED). ${fix()}`,
      ],
    });
  });
});
