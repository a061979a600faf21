import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommandError } from "../../command-kit/command-shell";
import { localSigningSecret } from "../../local/data-folder";
import { type Sandbox, startSandbox } from "../../local/sandbox";
import { ROLLUPS_BEHIND_FILE } from "../../local/store";
import { materializationsInOrder, materializedTarget } from "../../tinybird-model/chdb-project";
import { loadProject } from "../../tinybird-model/project";

const FIXTURE = resolve(__dirname, "fixtures/mv-project");

async function post(sandbox: Sandbox, name: string, lines: object[] | string) {
  const body = typeof lines === "string" ? lines : `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;
  const response = await fetch(`${sandbox.url}/v0/events?name=${name}&wait=true`, {
    method: "POST",
    headers: { authorization: `Bearer ${sandbox.storeToken}`, "content-type": "application/x-ndjson" },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function get(sandbox: Sandbox, path: string) {
  const response = await fetch(`${sandbox.url}${path}`, {
    headers: { authorization: `Bearer ${sandbox.storeToken}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

function temporaryFolder(): string {
  return mkdtempSync(join(tmpdir(), "local-store-test-"));
}

describe("reading a Tinybird project generically", () => {
  it("finds data sources, materialized pipes (targets before their readers) and endpoints", () => {
    const project = loadProject(FIXTURE);
    expect([project.dataSource, ...project.rollups].map((d) => d.definition.name).sort()).toEqual([
      "events",
      "events_daily_kinds",
      "events_monthly_totals",
    ]);
    // events_a_monthly_totals_mv sorts first by name but reads what events_daily_kinds_mv fills.
    expect(
      materializationsInOrder(project).map((m) => [m.name, m.materializedNode, materializedTarget(m)]),
    ).toEqual([
      ["events_daily_kinds_mv", "per_day", "events_daily_kinds"],
      ["events_a_monthly_totals_mv", "to_month", "events_monthly_totals"],
    ]);
    expect(project.pipes.map((p) => p.definition.name).sort()).toEqual(["kinds", "months"]);
  });

  it("reads the repository's own datafiles", () => {
    const project = loadProject(resolve(__dirname, "../.."));
    expect(project.dataSource.definition.name).toBe("clerk_events");
    expect(project.pipes.length).toBeGreaterThanOrEqual(6);
  });
});

describe("the local store with materialized views", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ projectRoot: FIXTURE });
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
    expect(await sandbox.store.count("events_quarantine")).toBe(2);
  });

  it("stores the good line of a batch and quarantines the bad one, with ClickHouse's error", async () => {
    const before = await sandbox.store.count("events");
    const appended = await post(sandbox, "events", [
      { id: "good", kind: "c", at: "2025-03-01T00:00:00.250Z", amount: 1 },
      { id: "soon", kind: "c", at: "soon", amount: 2 },
    ]);
    expect(appended).toEqual({ status: 200, body: { successful_rows: 1, quarantined_rows: 1 } });
    expect(await sandbox.store.query("SELECT id, toString(at) AS at FROM events WHERE kind = 'c'")).toEqual([
      { id: "good", at: "2025-03-01 00:00:00.250" },
    ]);
    expect(await sandbox.store.count("events")).toBe(before + 1);
    const [quarantined] = await sandbox.store.query<Record<string, unknown>>(
      "SELECT id, at, c__error_column, c__error FROM events_quarantine WHERE id = 'soon'",
    );
    expect(quarantined).toEqual({
      id: "soon",
      at: "soon",
      c__error_column: ["at"],
      c__error: [expect.stringMatching(/^column at: "soon" does not fit: Cannot (read|parse) DateTime/)],
    });
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

  it("answers appends that arrive together with one insert, each with its own counts", async () => {
    const at = "2025-04-01T00:00:00Z";
    const before = sandbox.store.groupStats("events");
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        sandbox.store.append(
          "events",
          `${JSON.stringify({ id: `g${i}`, kind: "g", at, amount: i })}\n${i % 2 ? "not json\n" : ""}`,
        ),
      ),
    );
    expect(answers.map((a) => a.body)).toEqual(
      Array.from({ length: 8 }, (_, i) => ({ successful_rows: 1, quarantined_rows: i % 2 })),
    );
    expect(sandbox.store.groupStats("events")).toEqual({
      commits: before.commits + 1,
      items: before.items + 8,
    });
    expect(await sandbox.store.count("events_daily_kinds")).toBeGreaterThan(0);
    expect((await get(sandbox, "/v0/pipes/kinds.json?start_date=2025-04-01")).body.data).toEqual([
      { kind: "g", events: 8, amount: 28 },
    ]);
  });

  it("fails every append of an insert that fails, answering none of them as stored", async () => {
    const at = "2025-05-01T00:00:00Z";
    await post(sandbox, "events", [{ id: "x0", kind: "x", at }]);
    const before = await sandbox.store.count("events");
    // ClickHouse refusing the INSERT itself (too many parts), as a full disk or a broken table would.
    await sandbox.store.query("ALTER TABLE tinybird.events MODIFY SETTING parts_to_throw_insert = 1");
    try {
      const answers = await Promise.all(
        ["x1", "x2", "x3"].map((id) => sandbox.store.append("events", JSON.stringify({ id, kind: "x", at }))),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(500);
        expect(answer.body.error).toMatch(/^writing to events failed: .*Too many parts/);
      }
    } finally {
      await sandbox.store.query("ALTER TABLE tinybird.events RESET SETTING parts_to_throw_insert");
    }
    expect(await sandbox.store.count("events")).toBe(before);
    expect((await get(sandbox, "/v0/pipes/kinds.json?start_date=2025-05-01")).body.data).toEqual([
      { kind: "x", events: 1, amount: 0 },
    ]);
    // Nothing waits for the rollups: a restart would rebuild nothing.
    expect(existsSync(join(sandbox.dataDir, ROLLUPS_BEHIND_FILE))).toBe(false);
  });
});

describe("persistence", () => {
  it("keeps the data, the signing secret and the store token across a restart, and refuses another project's folder", async () => {
    const dataDir = temporaryFolder();
    try {
      const secret = localSigningSecret({}, dataDir);
      expect(secret.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      let sandbox = await startSandbox({ projectRoot: FIXTURE, dataDir });
      const token = sandbox.storeToken;
      await post(sandbox, "events", [{ id: "1", kind: "a", at: "2025-03-01T00:00:00Z", amount: 3 }]);
      await sandbox.close();

      sandbox = await startSandbox({ projectRoot: FIXTURE, dataDir });
      try {
        expect(sandbox.report).toEqual({
          created: false,
          rebuilt: [],
          views: [],
          dropped: [],
          landingRows: 1,
        });
        expect(sandbox.storeToken).toBe(token);
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
      for (const file of ["signing-secret", "store-token"])
        expect(statSync(join(dataDir, file)).mode & 0o777, file).toBe(0o600);
      // The folder itself, or any account could copy the store and read every event.
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      // Another project's datafiles on this folder: refused, naming the fix, and nothing changed.
      await expect(startSandbox({ dataDir })).rejects.toThrow(
        /events shares no column with clerk_events: it holds another project's events; start from an empty data folder/,
      );
      sandbox = await startSandbox({ projectRoot: FIXTURE, dataDir });
      await sandbox.close();
      expect(sandbox.report.landingRows).toBe(1);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("reports parts found damaged at start with their rows, and starts only when told what to do", async () => {
    const dataDir = temporaryFolder();
    try {
      let sandbox = await startSandbox({ projectRoot: FIXTURE, dataDir });
      await post(sandbox, "events", [
        { id: "1", kind: "a", at: "2025-01-01T00:00:00Z", amount: 1 },
        { id: "2", kind: "a", at: "2025-01-02T00:00:00Z", amount: 2 },
        { id: "3", kind: "b", at: "2025-01-03T00:00:00Z", amount: 4 },
      ]);
      const parts = await sandbox.store.query<{ path: string; rows: number }>(
        "SELECT path, rows FROM system.parts WHERE database = 'tinybird' AND table = 'events' AND active",
      );
      await sandbox.close();
      // A truncated file, as a crash or a full disk leaves it.
      const part = parts[0]!;
      for (const file of readdirSync(part.path).filter((f) => f.endsWith(".bin")))
        truncateSync(join(part.path, file), 10);

      await expect(startSandbox({ projectRoot: FIXTURE, dataDir })).rejects.toThrow(
        new RegExp(
          `damaged part.*\\n  events  broken-on-start_all_\\S+  ${part.rows} rows  \\(stored events\\)[\\s\\S]*--damaged-parts=set-aside[\\s\\S]*--damaged-parts=delete`,
        ),
      );
      sandbox = await startSandbox({ projectRoot: FIXTURE, dataDir, damagedParts: "set-aside" });
      try {
        expect(sandbox.damaged.map((d) => [d.table, d.rows, d.landing])).toEqual([
          ["events", part.rows, true],
        ]);
        expect(await sandbox.store.count("events")).toBe(3 - part.rows);
        // The rollups were rebuilt from what remains, so the endpoints agree with the stored events.
        const kinds = (await get(sandbox, "/v0/pipes/kinds.json")).body.data as { events: number }[];
        expect(kinds.reduce((sum, k) => sum + k.events, 0)).toBe(3 - part.rows);
        expect(readdirSync(join(dataDir, "damaged-parts"))).toHaveLength(1);
      } finally {
        await sandbox.close();
      }
      // Set aside once: detached/ no longer holds it, so the next start is a normal one.
      expect(readdirSync(join(part.path, "..", "detached"))).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("a datafile change on a store holding data", () => {
  it("rebuilds what changed from the stored events, and the endpoints answer the same", async () => {
    const root = temporaryFolder();
    const dataDir = join(root, "data");
    cpSync(join(FIXTURE, "tinybird"), join(root, "tinybird"), { recursive: true });
    let sandbox = await startSandbox({ projectRoot: root, dataDir });
    try {
      await post(sandbox, "events", [
        { id: "1", kind: "a", at: "2025-01-01T00:00:00Z", amount: 5 },
        { id: "2", kind: "b", at: "2025-02-01T00:00:00Z", amount: 7 },
        { id: "3", kind: "b", at: "2025-02-02T00:00:00Z" },
      ]);
      const before = [
        (await get(sandbox, "/v0/pipes/kinds.json")).body.data,
        (await get(sandbox, "/v0/pipes/months.json")).body.data,
      ];
      // A description only: nothing to rebuild.
      const datasource = join(root, "tinybird/datasources/events.datasource");
      const text = readFileSync(datasource, "utf8");
      writeFileSync(datasource, text.replace("Fixture: raw events", "Fixture: the raw events"));
      expect(await sandbox.store.reload(loadProject(root))).toEqual({
        created: false,
        rebuilt: [],
        views: [],
        dropped: [],
        landingRows: 3,
      });
      // A view ClickHouse refuses (a column no table has): nothing changes.
      const view = join(root, "tinybird/materializations/events_daily_kinds_mv.pipe");
      const viewText = readFileSync(view, "utf8");
      writeFileSync(view, viewText.replace("sum(amount) AS amount", "sum(no_such_column) AS amount"));
      const refused = await sandbox.store.reload(loadProject(root)).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(CommandError);
      expect((refused as Error).message).toMatch(
        /^the datafiles do not build on ClickHouse \(.*no_such_column.*\); nothing was changed\. Fix: correct tinybird\/materializations\/events_daily_kinds_mv\.pipe, which ClickHouse refused$/,
      );
      expect(String((refused as Error).cause)).toContain("no_such_column");
      expect([
        (await get(sandbox, "/v0/pipes/kinds.json")).body.data,
        (await get(sandbox, "/v0/pipes/months.json")).body.data,
      ]).toEqual(before);
      writeFileSync(view, viewText);
      // A new typed column in the landing data source.
      writeFileSync(
        datasource,
        text.replace(
          "`amount` Int64 `json:$.amount` DEFAULT 0",
          "`amount` Int64 `json:$.amount` DEFAULT 0,\n    `note` String `json:$.note` DEFAULT 'none'",
        ),
      );
      const report = await sandbox.store.reload(loadProject(root));
      expect(report.migrated).toEqual({
        from: "events",
        to: "events",
        rows: 3,
        how: "copied column by column (4 columns kept)",
      });
      expect(report.rebuilt.map((r) => r.table).sort()).toEqual([
        "events_daily_kinds",
        "events_monthly_totals",
      ]);
      expect([
        (await get(sandbox, "/v0/pipes/kinds.json")).body.data,
        (await get(sandbox, "/v0/pipes/months.json")).body.data,
      ]).toEqual(before);
      expect(await sandbox.store.query("SELECT DISTINCT note FROM events")).toEqual([{ note: "none" }]);
      expect(
        await post(sandbox, "events", [{ id: "4", kind: "a", at: "2025-01-05T00:00:00Z", note: "new" }]),
      ).toEqual({
        status: 200,
        body: { successful_rows: 1, quarantined_rows: 0 },
      });
      await sandbox.close();
      // Restarted on the changed datafiles: nothing left to do.
      sandbox = await startSandbox({ projectRoot: root, dataDir });
      expect(sandbox.report.rebuilt).toEqual([]);
    } finally {
      await sandbox.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
