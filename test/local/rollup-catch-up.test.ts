import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Session } from "chdb";
import { afterEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../local/sandbox";
import { ROLLUPS_BEHIND_FILE } from "../../local/store";
import { fedSelect, fedViews, syncProject } from "../../tinybird-model/chdb-project";
import { ingestSteps } from "../../tinybird-model/clickhouse";
import { parsePipe } from "../../tinybird-model/pipe-file";
import { loadProject } from "../../tinybird-model/project";
import { runOnSession } from "../../tinybird-model/sql-steps";

// The fixture's landing data source `events` feeds events_daily_kinds, which feeds events_monthly_totals.
const FIXTURE = resolve(__dirname, "fixtures/mv-project");
const lines = (events: object[]) => events.map((e) => JSON.stringify(e)).join("\n");
const kinds = async (sandbox: Sandbox) => sandbox.store.callEndpoint("kinds", {});

let root: string;
let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
  rmSync(root, { recursive: true, force: true });
});

/** The fixture project in a folder of its own (so a test can edit its datafiles) with a data folder. */
function projectCopy(): { root: string; dataDir: string } {
  root = mkdtempSync(join(tmpdir(), "rollup-catch-up-"));
  cpSync(join(FIXTURE, "tinybird"), join(root, "tinybird"), { recursive: true });
  return { root, dataDir: join(root, "data") };
}

describe("the rollups follow the stored events in batches", () => {
  it("takes the rows of several inserts in one batch, before any read, and says in the data folder while rows wait", async () => {
    const { root, dataDir } = projectCopy();
    // The rollups wait for the rows as long as the test needs: only a read brings them up to date.
    sandbox = await startSandbox({ projectRoot: root, dataDir, catchUpDelayMs: 600_000 });
    const at = "2025-03-01T00:00:00Z";
    for (const id of ["1", "2", "3"])
      expect(await sandbox.store.append("events", lines([{ id, kind: "a", at, amount: 2 }]))).toEqual({
        status: 200,
        body: { successful_rows: 1, quarantined_rows: 0 },
      });
    expect(sandbox.store.groupStats("events").commits).toBe(3);
    expect(sandbox.store.catchUpStats()).toEqual({ batches: 0, rows: 0 });
    expect(existsSync(join(dataDir, ROLLUPS_BEHIND_FILE))).toBe(true);

    // A read brings the rollups up to date first, two levels deep.
    expect((await kinds(sandbox)).body.data).toEqual([{ kind: "a", events: 3, amount: 6 }]);
    expect((await sandbox.store.callEndpoint("months", {})).body.data).toEqual([
      { month: "2025-03-01", events: 3 },
    ]);
    expect(sandbox.store.catchUpStats()).toEqual({ batches: 1, rows: 3 });
    expect(existsSync(join(dataDir, ROLLUPS_BEHIND_FILE))).toBe(false);

    // Rows left waiting are taken when the store closes: a restart rebuilds nothing.
    await sandbox.store.append("events", lines([{ id: "4", kind: "b", at, amount: 1 }]));
    await sandbox.close();
    expect(existsSync(join(dataDir, ROLLUPS_BEHIND_FILE))).toBe(false);
    sandbox = await startSandbox({ projectRoot: root, dataDir });
    expect(sandbox.report.rebuilt).toEqual([]);
    expect((await kinds(sandbox)).body.data).toEqual([
      { kind: "a", events: 3, amount: 6 },
      { kind: "b", events: 1, amount: 1 },
    ]);
  });

  it("keeps the events a failing materialized pipe refused, says what to fix, and rebuilds the rollups once it is fixed", async () => {
    const { root, dataDir } = projectCopy();
    const warnings: string[] = [];
    sandbox = await startSandbox({
      projectRoot: root,
      dataDir,
      catchUpDelayMs: 600_000,
      warn: (line) => warnings.push(line),
    });
    const at = "2025-04-01T00:00:00Z";
    // The fixture's view throws on kind "explode": the rows are stored and answered as stored.
    const answers = await Promise.all(
      ["e1", "boom", "e2"].map((id) =>
        sandbox!.store.append(
          "events",
          lines([{ id, kind: id === "boom" ? "explode" : "e", at, amount: 1 }]),
        ),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(await sandbox.store.count("events")).toBe(3);

    const refused = await kinds(sandbox);
    expect(refused.status).toBe(500);
    expect(refused.body.error).toMatch(
      /^the rollups stopped following the stored events: bringing 3 stored events into them failed \(.*the fixture view refuses kind explode.*\)\. The events are stored; fix the materialized pipe ClickHouse names and save it: npm start then rebuilds the rollups from the stored events \(as the next start does, once the pipe is fixed\)$/,
    );
    expect(warnings).toEqual([refused.body.error]);
    // Later rows are stored too, and wait for the rebuild.
    expect((await sandbox.store.append("events", lines([{ id: "e3", kind: "e", at }]))).status).toBe(200);
    expect(existsSync(join(dataDir, ROLLUPS_BEHIND_FILE))).toBe(true);

    // The pipe fixed (saved, as npm start's watcher applies it): every stored event is in the rollups.
    const view = join(root, "tinybird/materializations/events_daily_kinds_mv.pipe");
    writeFileSync(
      view,
      readFileSync(view, "utf8").replace(
        " AND throwIf(kind = 'explode', 'the fixture view refuses kind explode') = 0",
        "",
      ),
    );
    const report = await sandbox.store.reload(loadProject(root));
    expect(report.rebuilt.map((r) => r.table).sort()).toEqual([
      "events_daily_kinds",
      "events_monthly_totals",
    ]);
    expect((await kinds(sandbox)).body.data).toEqual([
      { kind: "e", events: 3, amount: 2 },
      { kind: "explode", events: 1, amount: 1 },
    ]);
    expect(existsSync(join(dataDir, ROLLUPS_BEHIND_FILE))).toBe(false);
    expect(warnings).toHaveLength(1);
  });

  it("answers an error, not partial figures, while a rebuild that stopped part-way is not redone", async () => {
    const { root, dataDir } = projectCopy();
    sandbox = await startSandbox({ projectRoot: root, dataDir });
    const at = "2025-05-01T00:00:00Z";
    await sandbox.store.append(
      "events",
      lines([
        { id: "a1", kind: "a", at },
        { id: "b1", kind: "b", at },
      ]),
    );
    const before = (await kinds(sandbox)).body.data;
    // A view that builds on empty tables but fails on a stored row: the rebuild stops part-way.
    const view = join(root, "tinybird/materializations/events_daily_kinds_mv.pipe");
    const text = readFileSync(view, "utf8");
    writeFileSync(view, text.replace("throwIf(kind = 'explode'", "throwIf(kind = 'b'"));
    const stopped = await sandbox.store.reload(loadProject(root)).catch((e: unknown) => e);
    expect((stopped as Error).name).toBe("RebuildStoppedError");
    const refused = await kinds(sandbox);
    expect(refused.status).toBe(500);
    expect(refused.body.error).toMatch(
      /^the rollups are incomplete: rebuilding stopped part-way \(.*\)[\s\S]*Fix the datafile and save it: npm start then rebuilds the rollups/,
    );
    expect(existsSync(join(dataDir, ROLLUPS_BEHIND_FILE))).toBe(true);
    // Saved back: every rollup is filled again, and the figures are those from before.
    writeFileSync(view, text);
    await sandbox.store.reload(loadProject(root));
    expect((await kinds(sandbox)).body.data).toEqual(before);
    expect(existsSync(join(dataDir, ROLLUPS_BEHIND_FILE))).toBe(false);
  });

  it("rebuilds the rollups at the next start when the process died while stored rows waited for them", async () => {
    const { root, dataDir } = projectCopy();
    const body = lines([
      { id: "k1", kind: "k", at: "2025-06-01T00:00:00Z", amount: 4 },
      { id: "k2", kind: "k", at: "2025-06-02T00:00:00Z", amount: 5 },
    ]);
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(__dirname, "support/store-killed-while-rows-wait.ts"), dataDir, root, body],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const answer = await new Promise<string>((resolveAnswer, reject) => {
      let out = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString("utf8");
        if (out.includes("\n")) resolveAnswer(out.trim());
      });
      child.once("exit", (code) => reject(new Error(`the child exited (${code}) before storing: ${out}`)));
    });
    expect(JSON.parse(answer)).toEqual({ status: 200, body: { successful_rows: 2, quarantined_rows: 0 } });
    const exited = new Promise((resolveExit) => child.once("exit", resolveExit));
    child.kill("SIGKILL");
    await exited;
    expect(existsSync(join(dataDir, ROLLUPS_BEHIND_FILE))).toBe(true);

    sandbox = await startSandbox({ projectRoot: root, dataDir });
    expect(sandbox.report.rebuilt).toEqual([
      { table: "events_daily_kinds", rows: 2 },
      { table: "events_monthly_totals", rows: 1 },
    ]);
    expect((await kinds(sandbox)).body.data).toEqual([{ kind: "k", events: 2, amount: 9 }]);
    expect(existsSync(join(dataDir, ROLLUPS_BEHIND_FILE))).toBe(false);
  });
});

describe("what the batches take", () => {
  it("takes every row of one very large append (no argument list of its rows)", async () => {
    const { root, dataDir } = projectCopy();
    sandbox = await startSandbox({ projectRoot: root, dataDir, catchUpDelayMs: 600_000 });
    const count = 200_000;
    const body = Array.from(
      { length: count },
      (_, i) => `{"id":"b${i}","kind":"big","at":1735689600000}`,
    ).join("\n");
    expect(await sandbox.store.append("events", body)).toEqual({
      status: 200,
      body: { successful_rows: count, quarantined_rows: 0 },
    });
    expect((await kinds(sandbox)).body.data).toEqual([{ kind: "big", events: count, amount: 0 }]);
  });

  it("writes an append queued behind a datafile change for the new datafiles, whichever way views move", async () => {
    const { root, dataDir } = projectCopy();
    const view = join(root, "tinybird/materializations/events_daily_kinds_mv.pipe");
    const fed = readFileSync(view, "utf8");
    // `events.kind` does not build on the twin: the view stays on the landing table.
    const onLanding = fed.replace("WHERE kind != 'ignored'", "WHERE events.kind != 'ignored'");
    expect(onLanding).not.toBe(fed);
    writeFileSync(view, onLanding);
    sandbox = await startSandbox({ projectRoot: root, dataDir, catchUpDelayMs: 600_000 });
    const fedViews = async () =>
      (
        await sandbox!.store.query<{ views: string[] }>(
          "SELECT dependencies_table AS views FROM system.tables WHERE database = 'tinybird' AND name = 'events__feed'",
        )
      )[0]?.views;
    expect(await fedViews()).toEqual([]);
    const at = "2025-09-01T00:00:00Z";
    let n = 0;
    for (const text of [fed, onLanding]) {
      writeFileSync(view, text);
      // The append is queued behind the reload: it must be written as the new datafiles say.
      const [, answer] = await Promise.all([
        sandbox.store.reload(loadProject(root)),
        sandbox.store.append("events", lines([{ id: `r${n++}`, kind: "r", at, amount: 1 }])),
      ]);
      expect(answer.status).toBe(200);
      expect(await fedViews()).toEqual(text === fed ? ["events_daily_kinds_mv"] : []);
      expect((await kinds(sandbox)).body.data).toEqual([{ kind: "r", events: n, amount: n }]);
    }
    await sandbox.close();
    sandbox = await startSandbox({ projectRoot: root, dataDir });
    expect(sandbox.report.rebuilt).toEqual([]);
    expect((await kinds(sandbox)).body.data).toEqual([{ kind: "r", events: 2, amount: 2 }]);
  });

  it("leaves on the landing table a view of a rollup that looks the landing table up, with the same figures", async () => {
    const { root, dataDir } = projectCopy();
    const view = join(root, "tinybird/materializations/events_a_monthly_totals_mv.pipe");
    const text = readFileSync(view, "utf8");
    const withLookup = text.replace(
      "FROM events_daily_kinds",
      "FROM events_daily_kinds WHERE toStartOfMonth(day) IN (SELECT toStartOfMonth(at) FROM events)",
    );
    expect(withLookup).not.toBe(text);
    writeFileSync(view, withLookup);
    sandbox = await startSandbox({ projectRoot: root, dataDir, catchUpDelayMs: 600_000 });
    expect(
      await sandbox.store.query(
        "SELECT name, dependencies_table AS views FROM system.tables WHERE database = 'tinybird' AND name IN ('events', 'events__feed', 'events_daily_kinds') ORDER BY name",
      ),
    ).toEqual([
      { name: "events", views: [] },
      { name: "events__feed", views: ["events_daily_kinds_mv"] },
      { name: "events_daily_kinds", views: ["events_a_monthly_totals_mv"] },
    ]);
    await sandbox.store.append(
      "events",
      lines([
        { id: "m1", kind: "m", at: "2025-10-01T00:00:00Z", amount: 1 },
        { id: "m2", kind: "m", at: "2025-11-01T00:00:00Z", amount: 1 },
      ]),
    );
    expect((await sandbox.store.callEndpoint("months", {})).body.data).toEqual([
      { month: "2025-10-01", events: 1 },
      { month: "2025-11-01", events: 1 },
    ]);
  });
});

describe("a store built before the batches", () => {
  it("moves its views onto the landing table's twin at the first start, keeping every figure", async () => {
    const { root, dataDir } = projectCopy();
    const project = loadProject(root);
    // As earlier versions built it: the views on the landing table, filled at every insert.
    const session = new Session(dataDir);
    try {
      runOnSession(session, syncProject(project, { database: "tinybird" }));
      runOnSession(
        session,
        ingestSteps(
          project.dataSource.definition,
          [
            { id: "o1", kind: "o", at: "2025-07-01T00:00:00Z", amount: 3 },
            { id: "o2", kind: "o", at: "2025-08-01T00:00:00Z", amount: 4 },
          ],
          { database: "tinybird" },
        ),
      );
    } finally {
      session.close();
    }
    sandbox = await startSandbox({ projectRoot: root, dataDir, catchUpDelayMs: 600_000 });
    // The view moves, so its rollup and what reads it are filled again from the stored events.
    expect(sandbox.report.views.sort()).toEqual(["events_a_monthly_totals_mv", "events_daily_kinds_mv"]);
    expect(sandbox.report.rebuilt).toEqual([
      { table: "events_daily_kinds", rows: 2 },
      { table: "events_monthly_totals", rows: 2 },
    ]);
    expect((await kinds(sandbox)).body.data).toEqual([{ kind: "o", events: 2, amount: 7 }]);
    await sandbox.store.append(
      "events",
      lines([{ id: "o3", kind: "o", at: "2025-08-02T00:00:00Z", amount: 1 }]),
    );
    expect(sandbox.store.catchUpStats()).toEqual({ batches: 0, rows: 0 });
    expect((await kinds(sandbox)).body.data).toEqual([{ kind: "o", events: 3, amount: 8 }]);
    expect((await sandbox.store.callEndpoint("months", {})).body.data).toEqual([
      { month: "2025-07-01", events: 1 },
      { month: "2025-08-01", events: 2 },
    ]);
  });
});

describe("which views the rollups' batches feed", () => {
  const view = (sql: string) =>
    parsePipe(`NODE n\nSQL >\n    ${sql}\n\nTYPE materialized\nDATASOURCE target\n`, "v_mv");

  it("moves a view that reads the landing data source once onto its twin, and only that name", () => {
    expect(fedSelect(view("SELECT kind, count() AS events FROM events GROUP BY kind"), "events")).toBe(
      "SELECT kind, count() AS events FROM `events__feed` GROUP BY kind",
    );
    expect(
      fedSelect(view("SELECT a.id FROM `events` AS a JOIN events_daily_kinds USING (kind)"), "events"),
    ).toBe("SELECT a.id FROM `events__feed` AS a JOIN events_daily_kinds USING (kind)");
  });

  it("leaves on the landing table a view that also looks up its stored rows, or does not read it", () => {
    // Every reference but the first reads the whole table in a ClickHouse view: not the batch's rows.
    expect(
      fedSelect(
        view("SELECT id FROM events WHERE id NOT IN (SELECT id FROM events WHERE kind = 'x')"),
        "events",
      ),
    ).toBeUndefined();
    expect(fedSelect(view("SELECT month, events FROM events_daily_kinds"), "events")).toBeUndefined();
  });

  it("feeds every view of this repository's project through the batches", () => {
    const project = loadProject(resolve(__dirname, "../.."));
    const session = new Session();
    try {
      runOnSession(session, syncProject(project, { database: "fed", deferLandingViews: true }));
      expect(runOnSession(session, fedViews(project, "fed")).sort()).toEqual(
        project.materializations.map((m) => m.definition.name).sort(),
      );
    } finally {
      session.cleanup();
    }
  });
});
