import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ksuidTime } from "../../operations/reconcile/repair-tasks";
import { CLERK_KEY } from "../support/clerk-svix-fake";
import { fakePulumi } from "./fake-pulumi";
import {
  DAY,
  ENDPOINT,
  HOUR,
  NOW,
  READ_TOKEN,
  type ReconcileWorld,
  startReconcileWorld,
} from "./reconcile-world";

let world: ReconcileWorld;
beforeAll(async () => {
  world = await startReconcileWorld();
});
afterAll(async () => world?.close());

/** Each test reconciles a day of its own, `n` days before NOW. */
const dayStart = (n: number) => NOW - n * DAY;
const window = (n: number) => [
  "--since",
  new Date(dayStart(n)).toISOString(),
  "--until",
  new Date(dayStart(n) + DAY).toISOString(),
];
/** The messages Svix queued again (by `via`), since the `from`-th resend. */
const resentIds = (via?: string, from = 0) =>
  world.fake.log.resent
    .slice(from)
    .filter((r) => via === undefined || r.via === via)
    .map((r) => r.msgId);

describe("npm run reconcile finds each kind of gap", () => {
  it.each([
    ["failed", "failed", "recover"],
    ["neverAttempted", "neverAttempted", "replay-missing"],
    ["lost", "deliveredNotStored", "resend"],
    ["canceled", "canceled", "resend"],
  ] as const)(
    "%s messages alone: counted, exit 1, and with --repair asked of Svix by %s",
    async (fate, key, via) => {
      const n = { failed: 2, neverAttempted: 3, lost: 4, canceled: 5 }[fate];
      world.send("stored", 20, dayStart(n) + HOUR);
      const gaps = world.send(fate, 3, dayStart(n) + 2 * HOUR);

      const found = await world.run(window(n));
      expect(found.code).toBe(1);
      expect(found.result).toMatchObject({
        messages: 23,
        stored: 20,
        [key]: 3,
        gaps: 3,
        unrepaired: 3,
        complete: false,
      });
      expect(found.stdout.join("\n")).toMatch(/missing from Tinybird: run it again with --repair/);
      expect(resentIds()).not.toContain(gaps[0]!.id);

      const repaired = await world.run([...window(n), "--repair"]);
      expect(repaired.code).toBe(0);
      expect(repaired.result).toMatchObject({ unrepaired: 0, complete: true });
      expect(
        resentIds(via)
          .filter((id) => gaps.some((g) => g.id === id))
          .sort(),
      ).toEqual(gaps.map((g) => g.id).sort());
    },
  );
});

describe("failed messages older than Svix recovers", () => {
  it("resends those more than 14 days old one by one (Svix refuses to recover them) and then proves the day complete", async () => {
    world.send("stored", 2, dayStart(20) + HOUR);
    const old = world.send("failed", 3, dayStart(20) + 2 * HOUR);
    const recoveries = world.fake.log.recoveries.length;
    const from = world.fake.log.resent.length;
    const repaired = await world.run([...window(20), "--repair"]);
    expect(repaired.code).toBe(0);
    expect(repaired.result).toMatchObject({
      failed: 3,
      repaired: { recover: 0, resend: 3 },
      unrepaired: 0,
      complete: true,
    });
    expect(world.fake.log.recoveries).toHaveLength(recoveries);
    expect(resentIds("resend", from).sort()).toEqual(old.map((m) => m.id).sort());
    world.deliverQueued();
    const again = await world.run(window(20));
    expect(again.code).toBe(0);
    expect(again.result).toMatchObject({ messages: 5, stored: 5, complete: true });
  });
});

describe("npm run reconcile over a busy day", () => {
  it("reconciles every kind at once over more than 1,000 messages and several pages, repairs once, then proves it complete", async () => {
    const start = NOW - DAY;
    const sent = {
      stored: world.send("stored", 1_000, start, 60_000),
      failed: world.send("failed", 60, start + 30_000, 900_000, "session.created"),
      neverAttempted: world.send("neverAttempted", 50, start + 40_000, 1_000_000, "organization.created"),
      lost: world.send("lost", 40, start + 50_000, 1_200_000),
      canceled: world.send("canceled", 10, start + 55_000, 3_600_000),
      pending: world.send("pending", 30, NOW - 3 * HOUR, 60_000),
      // Not attempted yet, but only a minute old: Svix is about to dispatch them.
      fresh: world.send("neverAttempted", 2, NOW - 60_000, 1_000),
    };
    const argv = ["--since", new Date(start).toISOString()];
    const deps = { svixPageSize: 100, tinybirdPageSize: 300 };
    const before = world.fake.svix.requests.length;

    const found = await world.run(argv, { deps });
    expect(found.result).toMatchObject({
      messages: 1_192,
      delivered: 1_040,
      stored: 1_000,
      failed: 60,
      neverAttempted: 50,
      deliveredNotStored: 40,
      canceled: 10,
      pending: 32,
      gaps: 160,
      unrepaired: 160,
    });
    expect(found.code).toBe(1);
    // Svix's lists were followed page after page (1,192 messages, 100 a page), and Tinybird's too.
    const lists = world.fake.svix.requests
      .slice(before)
      .filter((r) => r.method === "GET" && r.path.endsWith("/msg"));
    expect(lists.length).toBeGreaterThanOrEqual(2 * 12);
    expect(
      world.tinybird.requests.filter((r) => r.query.has("after_event_id")).length,
    ).toBeGreaterThanOrEqual(3);

    const resentFrom = world.fake.log.resent.length;
    const repaired = await world.run([...argv, "--repair"], { deps });
    expect(repaired.code).toBe(0);
    expect(repaired.result).toMatchObject({
      repaired: { recover: 60, replayMissing: 50, resend: 50 },
      unrepaired: 0,
      complete: true,
    });
    const ids = (list: { id: string }[]) => list.map((m) => m.id).sort();
    expect(resentIds("recover", resentFrom).sort()).toEqual(ids(sent.failed));
    expect(resentIds("replay-missing", resentFrom).sort()).toEqual(ids(sent.neverAttempted));
    expect(resentIds("resend", resentFrom).sort()).toEqual(ids([...sent.lost, ...sent.canceled]));
    // Messages inside Svix's retries, and those not yet dispatched, were left alone.
    const asked = new Set(resentIds(undefined, resentFrom));
    expect([...sent.pending, ...sent.fresh].filter((m) => asked.has(m.id))).toEqual([]);

    // Svix delivers what it queued (and what it was retrying) a while later; the forwarder stores it.
    world.clock.t += 10 * 60_000;
    world.deliverQueued();
    for (const m of sent.fresh) world.fake.log.setStatus(ENDPOINT.id, m.id, 3);
    world.deliverQueued();
    const resentBefore = world.fake.log.resent.length;
    const again = await world.run([...argv, "--repair"], { deps });
    expect(again.code).toBe(0);
    expect(again.result).toMatchObject({
      messages: 1_192,
      stored: 1_192,
      gaps: 0,
      pending: 0,
      complete: true,
    });
    expect(again.result.repaired).toEqual({ recover: 0, replayMissing: 0, resend: 0 });
    expect(world.fake.log.resent.length).toBe(resentBefore);
    expect(again.stdout.join("\n")).toMatch(/Complete: every message is stored/);
  });
});

describe("npm run reconcile at the edges", () => {
  it("run twice with --repair before Svix delivers the resends: the second counts them pending and asks nothing again", async () => {
    world.send("stored", 5, dayStart(10) + HOUR);
    const gaps = [
      ...world.send("failed", 2, dayStart(10) + 2 * HOUR),
      ...world.send("neverAttempted", 2, dayStart(10) + 3 * HOUR),
      ...world.send("lost", 2, dayStart(10) + 4 * HOUR),
      ...world.send("canceled", 1, dayStart(10) + 5 * HOUR),
    ];
    const first = await world.run([...window(10), "--repair"]);
    expect(first.result).toMatchObject({ gaps: 7, repaired: { recover: 2, replayMissing: 2, resend: 3 } });
    // Svix has queued them all ("sending") and delivered none yet.
    expect(gaps.map((m) => world.fake.log.statusOf(ENDPOINT.id, m.id))).toEqual(gaps.map(() => 3));

    const resent = world.fake.log.resent.length;
    const tasks = world.fake.log.recoveries.length + world.fake.log.replays.length;
    const second = await world.run([...window(10), "--repair"]);
    expect(second.code).toBe(0);
    expect(second.result).toMatchObject({
      messages: 12,
      stored: 5,
      pending: 7,
      gaps: 0,
      repaired: { recover: 0, replayMissing: 0, resend: 0 },
      tasks: [],
      unrepaired: 0,
      complete: true,
    });
    expect(world.fake.log.resent.length).toBe(resent);
    expect(world.fake.log.recoveries.length + world.fake.log.replays.length).toBe(tasks);
    expect(second.stdout.join("\n")).toMatch(
      /Complete: every message is stored or still inside Svix's retries \(7\)/,
    );

    world.deliverQueued();
    const third = await world.run(window(10));
    expect(third.result).toMatchObject({ messages: 12, stored: 12, pending: 0, gaps: 0, complete: true });
  });

  it("says plainly when the window reaches past Svix's retention, and proves the rest", async () => {
    // Stored, but gone from Svix: only the part of the window Svix still holds can be proven.
    world.send("stored", 5, NOW - 92 * DAY);
    world.send("stored", 5, NOW - 88 * DAY);
    const run = await world.run([
      "--since",
      new Date(NOW - 94 * DAY).toISOString(),
      "--until",
      new Date(NOW - 87 * DAY).toISOString(),
    ]);
    expect(run.stderr).toMatch(
      /warning: The window starts 94 days ago, past Svix's retention \(90 days by default\)/,
    );
    expect(run.result.warnings[0]).toMatch(/can be neither checked nor resent/);
    expect(run.result).toMatchObject({ messages: 5, stored: 5, complete: true });
    expect(run.code).toBe(0);
  });

  it("backs off on Svix's 429s for as long as Retry-After says, and finishes", async () => {
    world.send("stored", 10, dayStart(6) + HOUR);
    world.send("lost", 1, dayStart(6) + 2 * HOUR);
    const limited = {
      status: 429,
      headers: { "retry-after": "7" },
      body: { code: "rate_limited", detail: "Too many requests" },
    };
    world.fake.fault("svix", "GET", /\/msg$/, limited, 3);
    world.fake.fault("svix", "POST", /\/resend$/, limited, 1);
    const started = world.clock.now();
    const run = await world.run([...window(6), "--repair"]);
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({ messages: 11, repaired: { resend: 1 }, complete: true });
    expect(world.clock.now() - started).toBeGreaterThanOrEqual(4 * 7_000);
  });

  it("asks nothing of a disabled endpoint and says how to bring it back", async () => {
    world.send("stored", 3, dayStart(7) + HOUR);
    world.send("neverAttempted", 4, dayStart(7) + 2 * HOUR);
    world.fake.endpoints.get(ENDPOINT.id)!.disabled = true;
    try {
      const resent = world.fake.log.resent.length;
      const run = await world.run([...window(7), "--repair"]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/warning: Endpoint ep_reconcile is disabled.*npm run up/);
      expect(run.result).toMatchObject({ neverAttempted: 4, unrepaired: 4, repaired: { replayMissing: 0 } });
      expect(run.stdout.join("\n")).toMatch(
        /not repaired: 4 neverAttempted: endpoint ep_reconcile is disabled/,
      );
      expect(world.fake.log.resent.length).toBe(resent);
    } finally {
      world.fake.endpoints.get(ENDPOINT.id)!.disabled = false;
    }
  });

  it("with --stack, finds messages a narrowed event filter never sent, and reads Tinybird with the read token only", async () => {
    world.send("stored", 3, dayStart(8) + HOUR, 60_000, "user.created");
    world.send("neverAttempted", 2, dayStart(8) + 2 * HOUR, 60_000, "session.created");
    world.fake.endpoints.get(ENDPOINT.id)!.eventTypes = ["user.created"];
    const pulumi = fakePulumi({
      outputs: {
        clerkEndpointId: ENDPOINT.id,
        tinybirdHost: world.tinybird.url,
        tinybirdReadToken: READ_TOKEN,
      },
      config: {
        "clerk-tinybird:clerkSecretKey": { value: CLERK_KEY, secret: true },
        "clerk-tinybird:tinybirdAdminToken": { value: "p.admin-token-never-used", secret: true },
      },
    });
    try {
      const tinybirdBefore = world.tinybird.requests.length;
      const run = await world.run([...window(8), "--stack", "prod", "--repair"], {
        env: { CLERK_API_URL: world.fake.clerk.url, SVIX_SERVER_URL: world.fake.svix.url },
        deps: { pulumi },
      });
      expect(run.stderr).toMatch(
        /event filter takes only user\.created, but the stack subscribes to every event type/,
      );
      expect(run.result).toMatchObject({ messages: 5, neverAttempted: 2, unrepaired: 2 });
      expect(run.stdout.join("\n")).toMatch(/leaves out session\.created.*npm run up -- --stack prod/);
      expect(run.code).toBe(1);
      const reads = world.tinybird.requests.slice(tinybirdBefore);
      expect(reads.length).toBeGreaterThan(0);
      for (const r of reads) {
        expect(r.headers.authorization).toBe(`Bearer ${READ_TOKEN}`);
        expect(r.query.has("token")).toBe(false);
      }
      const printed = `${run.stdout.join("\n")}${run.stderr}`;
      for (const secret of [CLERK_KEY, READ_TOKEN, ...world.fake.mintedTokens])
        expect(printed).not.toContain(secret);
      expect(world.fake.apiTokens.size).toBe(0);
    } finally {
      world.fake.endpoints.get(ENDPOINT.id)!.eventTypes = null;
    }
  });

  it("draws its progress on a terminal and refuses a bad window before calling anyone", async () => {
    world.send("stored", 2, dayStart(9) + HOUR);
    world.send("lost", 1, dayStart(9) + 2 * HOUR);
    const shown = await world.run([...window(9), "--repair"], { tty: true });
    expect(shown.stderr).toMatch(/reconciling .* \(1 of 1\): 3 messages checked/);
    expect(shown.stderr).toMatch(/resending messages one by one: 1 of 1/);
    // Without a terminal (a CI log), no progress line at all.
    expect((await world.run(window(9))).stderr).toBe("");
    const calls = world.fake.svix.requests.length;
    expect((await world.run([])).stderr).toContain("--since is required");
    expect((await world.run(["--since", "last week"])).stderr).toContain('--since "last week" is not a time');
    const inverted = await world.run(["--since", "2026-01-19T00:00:00Z", "--until", "2026-01-18T00:00:00Z"]);
    expect(inverted.code).toBe(2);
    expect(inverted.stderr).toContain("--since must be before --until");
    const manual = await world.run(["--since", "2026-01-19T00:00:00Z"], {
      env: { ...world.env, CLERK_ENDPOINT_ID: "manual" },
    });
    expect(manual.stderr).toMatch(/manual mode.*CLERK_ENDPOINT_ID/);
    expect(world.fake.svix.requests.length).toBe(calls);
  });
});

describe("npm run reconcile while Svix's repair tasks run", () => {
  const iso = (ms: number) => new Date(ms).toISOString();
  /** When a task made now started, as its id (a KSUID, whole seconds) tells. */
  const startedNow = () => iso(Math.floor(world.clock.now() / 1000) * 1000);
  const taskLists = (from: number, status: string, task: string) =>
    world.fake.svix.requests
      .slice(from)
      .filter(
        (r) =>
          r.path === "/api/v1/background-task" &&
          r.query.get("status") === status &&
          r.query.get("task") === task,
      );
  const tasks = () => world.fake.log.tasks;
  // Tasks take minutes: each test starts later, holds its tasks running, and lets every one end.
  beforeEach(() => {
    world.clock.t += 60_000;
    tasks().hold = true;
  });
  afterEach(() => {
    tasks().hold = false;
    tasks().scoped = false;
    tasks().finish();
  });

  it("a second --repair while the tasks run asks nothing and reports the gaps as being repaired (exit 0); once Svix resent them, it is complete", async () => {
    world.send("stored", 3, dayStart(11) + HOUR);
    const failed = world.send("failed", 2, dayStart(11) + 2 * HOUR);
    world.send("neverAttempted", 2, dayStart(11) + 3 * HOUR);
    const runningSince = startedNow();
    const first = await world.run([...window(11), "--repair"]);
    expect(first.code).toBe(0);
    expect(first.result).toMatchObject({ repaired: { recover: 2, replayMissing: 2 }, beingRepaired: [] });
    const [recoverTask, replayTask] = first.result.tasks as string[];
    // Svix's workers have not reached them: still failed.
    expect(failed.map((m) => world.fake.log.statusOf(ENDPOINT.id, m.id))).toEqual([2, 2]);

    world.clock.t += 2 * 60_000;
    const asked = world.fake.log.recoveries.length + world.fake.log.replays.length;
    const requests = world.fake.svix.requests.length;
    const second = await world.run([...window(11), "--repair"]);
    expect(second.code).toBe(0);
    expect(second.result).toMatchObject({
      failed: 2,
      neverAttempted: 2,
      gaps: 4,
      repaired: { recover: 0, replayMissing: 0, resend: 0 },
      tasks: [],
      beingRepaired: [
        { task: recoverTask, type: "endpoint.recover", kind: "failed", count: 2, runningSince },
        { task: replayTask, type: "endpoint.replay", kind: "neverAttempted", count: 2, runningSince },
      ],
      unrepaired: 0,
      complete: true,
    });
    expect(world.fake.log.recoveries.length + world.fake.log.replays.length).toBe(asked);
    expect(taskLists(requests, "running", "endpoint.recover")).toHaveLength(1);
    expect(taskLists(requests, "running", "endpoint.replay")).toHaveLength(1);
    const ledger = second.stdout.join("\n");
    expect(ledger).toContain(
      `being repaired: 2 failed by Svix task ${recoverTask} (endpoint.recover, running since ${runningSince}): not asked again`,
    );
    expect(ledger).toMatch(/Every gap \(4\) is on its way back \(4 of them wait on Svix tasks still running/);

    expect(
      tasks()
        .finish()
        .map((t) => t.id),
    ).toEqual([recoverTask, replayTask]);
    world.deliverQueued();
    const third = await world.run([...window(11), "--repair"]);
    expect(third.code).toBe(0);
    expect(third.result).toMatchObject({
      messages: 7,
      stored: 7,
      gaps: 0,
      beingRepaired: [],
      complete: true,
    });
    expect(third.stdout.join("\n")).toMatch(/Complete: every message is stored\./);
  });

  it("a recover task that finished failed gives a warning naming it, and the next run asks again", async () => {
    world.send("stored", 2, dayStart(12) + HOUR);
    const failed = world.send("failed", 3, dayStart(12) + 2 * HOUR);
    const startedAt = startedNow();
    const [task] = (await world.run([...window(12), "--repair"])).result.tasks as string[];
    world.clock.t += 5 * 60_000;
    expect(tasks().finish(task, "failed")).toHaveLength(1);

    const recoveries = world.fake.log.recoveries.length;
    const second = await world.run([...window(12), "--repair"]);
    expect(second.stderr).toContain(
      `warning: Svix's endpoint.recover task ${task} (started ${startedAt}) failed, and no later one ran`,
    );
    expect(second.result).toMatchObject({
      failed: 3,
      repaired: { recover: 3 },
      beingRepaired: [],
      unrepaired: 0,
    });
    expect(second.result.tasks).toHaveLength(1);
    expect(second.result.tasks).not.toContain(task);
    expect(world.fake.log.recoveries.length).toBe(recoveries + 1);

    tasks().finish();
    world.deliverQueued();
    const third = await world.run([...window(12), "--repair"]);
    expect(third.result).toMatchObject({ messages: 5, stored: 5, complete: true, warnings: [] });
    expect(failed.map((m) => world.fake.log.statusOf(ENDPOINT.id, m.id))).toEqual([0, 0, 0]);
  });

  it("when a task's data names its endpoint and range, only this endpoint's running task counts, for the gaps in its range, on any page", async () => {
    world.send("stored", 2, dayStart(13) + HOUR);
    world.send("failed", 2, dayStart(13) + 2 * HOUR);
    const late = world.send("failed", 1, dayStart(13) + 5 * HOUR);
    tasks().scoped = true;
    const ours = tasks().start({
      task: "endpoint.recover",
      endpoint: ENDPOINT.id,
      since: iso(dayStart(13)),
      until: iso(dayStart(13) + 3 * HOUR),
      run: () => 0,
    });
    // Newer tasks of another endpoint come first in Svix's list: one a page.
    for (let i = 0; i < 2; i++) {
      tasks().start({
        task: "endpoint.recover",
        endpoint: "ep_other",
        since: iso(dayStart(13)),
        run: () => 0,
      });
    }
    const requests = world.fake.svix.requests.length;
    const run = await world.run([...window(13), "--repair"], { deps: { svixPageSize: 1 } });
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({
      failed: 3,
      repaired: { recover: 1 },
      beingRepaired: [{ task: ours.id, kind: "failed", count: 2 }],
      unrepaired: 0,
    });
    expect(world.fake.log.recoveries.at(-1)).toMatchObject({ since: iso(late[0]!.timestamp) });
    expect(taskLists(requests, "running", "endpoint.recover")).toHaveLength(3);
  });

  it("reads when a task started from its id (a KSUID, as Svix's example decodes), and asks anyway when Svix will not list tasks", async () => {
    expect(ksuidTime("qtask_1srOrx2ZWZBpBUvZwXKQmoEYga2")?.toISOString()).toBe("2021-05-21T20:04:03.000Z");
    expect(ksuidTime("qtask_not-a-ksuid")).toBeUndefined();

    world.send("stored", 2, dayStart(14) + HOUR);
    world.send("failed", 1, dayStart(14) + 2 * HOUR);
    world.fake.fault("svix", "GET", /^\/api\/v1\/background-task$/, {
      status: 403,
      body: { code: "forbidden", detail: "Insufficient access for the given operation" },
    });
    const recoveries = world.fake.log.recoveries.length;
    const run = await world.run([...window(14), "--repair"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /warning: Could not read Svix's endpoint\.recover tasks \(.*403.*\), so this run asks/,
    );
    expect(run.result).toMatchObject({ repaired: { recover: 1 }, unrepaired: 0, complete: true });
    expect(world.fake.log.recoveries.length).toBe(recoveries + 1);
  });
});
