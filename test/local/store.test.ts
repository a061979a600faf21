import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLocalProject } from "../../local/datafiles";
import { type Sandbox, startSandbox } from "../../local/sandbox";
import { localSigningSecret } from "../../local/signing-secret";

const FIXTURE = resolve(__dirname, "fixtures/mv-project");

async function post(sandbox: Sandbox, name: string, lines: object[] | string) {
  const body = typeof lines === "string" ? lines : `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;
  const response = await fetch(`${sandbox.url}/v0/events?name=${name}&wait=true`, {
    method: "POST",
    headers: { authorization: "Bearer anything", "content-type": "application/x-ndjson" },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function get(sandbox: Sandbox, path: string) {
  const response = await fetch(`${sandbox.url}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe("reading a Tinybird project generically", () => {
  it("finds data sources, materialized pipes (targets before their readers) and endpoints", () => {
    const project = loadLocalProject(FIXTURE);
    expect(project.dataSources.map((d) => d.name).sort()).toEqual([
      "daily_kinds",
      "events",
      "monthly_totals",
    ]);
    // a_monthly_totals_mv sorts first by name but reads what daily_kinds_mv fills.
    expect(project.materialized.map((m) => [m.pipe.name, m.node, m.target])).toEqual([
      ["daily_kinds_mv", "per_day", "daily_kinds"],
      ["a_monthly_totals_mv", "to_month", "monthly_totals"],
    ]);
    expect([...project.endpoints.keys()].sort()).toEqual(["kinds", "months"]);
  });

  it("reads the repository's own datafiles", () => {
    const project = loadLocalProject(resolve(__dirname, "../../tinybird"));
    expect(project.dataSources.map((d) => d.name)).toContain("clerk_events");
    expect(project.endpoints.size).toBeGreaterThanOrEqual(6);
  });
});

describe("the local store with materialized views", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ tinybirdDir: FIXTURE });
  });
  afterAll(async () => sandbox?.close());

  it("appends through the Events API and fills the rollups, two levels deep", async () => {
    const appended = await post(sandbox, "events", [
      { id: "1", kind: "a", at: "2025-01-01T10:00:00Z", amount: 5 },
      { id: "2", kind: "a", at: 1_735_776_000_000, amount: 7 }, // 2025-01-02, epoch milliseconds
      { id: "3", kind: "b", at: "2025-02-01T00:00:00Z" },
      { id: "4", kind: "ignored", at: "2025-02-01T00:00:00Z", amount: 100 },
    ]);
    expect(appended).toEqual({ status: 200, body: { successful_rows: 4, quarantined_rows: 0 } });
    await post(sandbox, "events", [{ id: "5", kind: "b", at: "2025-02-03T00:00:00Z", amount: 1 }]);

    const kinds = await get(sandbox, "/v0/pipes/kinds.json");
    expect(kinds.status).toBe(200);
    expect(kinds.body.data).toEqual([
      { kind: "a", events: 2, amount: 12 },
      { kind: "b", events: 2, amount: 1 },
    ]);
    expect(kinds.body.meta).toEqual([
      { name: "kind", type: "LowCardinality(String)" },
      { name: "events", type: "UInt64" },
      { name: "amount", type: "Int64" },
    ]);
    expect(kinds.body.rows).toBe(2);
    expect(kinds.body.statistics).toEqual({
      elapsed: expect.any(Number),
      rows_read: expect.any(Number),
      bytes_read: expect.any(Number),
    });
    expect((await get(sandbox, "/v0/pipes/kinds.json?start_date=2025-02-01")).body.data).toEqual([
      { kind: "b", events: 2, amount: 1 },
    ]);
    expect((await get(sandbox, "/v0/pipes/months.json")).body.data).toEqual([
      { month: "2025-01-01", events: 2 },
      { month: "2025-02-01", events: 2 },
    ]);
  });

  it("quarantines lines Tinybird would not ingest, and still answers 200", async () => {
    const appended = await post(sandbox, "events", '{"id":"6","kind":"a"}\nnot json\n');
    expect(appended).toEqual({ status: 200, body: { successful_rows: 0, quarantined_rows: 2 } });
    expect(sandbox.store.count("events_quarantine")).toBe(2);
  });

  it("answers errors in Tinybird's shape", async () => {
    expect(await post(sandbox, "nope", "{}\n")).toEqual({
      status: 404,
      body: { error: 'Data Source "nope" does not exist' },
    });
    expect(await get(sandbox, "/v0/pipes/nope.json")).toEqual({
      status: 404,
      body: { error: "The pipe 'nope' does not exist" },
    });
    const invalid = await get(sandbox, "/v0/pipes/kinds.json?start_date=yesterday");
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toBe("Error validating 'yesterday' to type Date");
  });
});

describe("persistence", () => {
  it("keeps the data, and the signing secret, across a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "local-store-test-"));
    try {
      const secret = localSigningSecret({}, dataDir);
      expect(secret.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      let sandbox = await startSandbox({ tinybirdDir: FIXTURE, dataDir });
      await post(sandbox, "events", [{ id: "1", kind: "a", at: "2025-03-01T00:00:00Z", amount: 3 }]);
      await sandbox.close();

      sandbox = await startSandbox({ tinybirdDir: FIXTURE, dataDir });
      try {
        expect((await get(sandbox, "/v0/pipes/kinds.json")).body.data).toEqual([
          { kind: "a", events: 1, amount: 3 },
        ]);
      } finally {
        await sandbox.close();
      }
      expect(localSigningSecret({}, dataDir)).toEqual({
        secret: secret.secret,
        from: join(dataDir, "signing-secret"),
      });
      expect(localSigningSecret({ CLERK_WEBHOOK_SECRET: " whsec_fromenv " }, dataDir).secret).toBe(
        "whsec_fromenv",
      );
      expect(readFileSync(join(dataDir, "signing-secret"), "utf8").trim()).toBe(secret.secret);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses a folder built from other datafiles, naming the fix", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "local-store-test-"));
    try {
      const sandbox = await startSandbox({ tinybirdDir: FIXTURE, dataDir });
      await sandbox.close();
      await expect(startSandbox({ dataDir })).rejects.toThrow(
        /other tinybird\/ datafiles.*delete that folder/,
      );
      expect(existsSync(join(dataDir, "schema.sha256"))).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
