/**
 * Faults, and nothing lost: a sender behaving as Svix does (re-signed attempts, same svix-id, Svix's
 * retry schedule on a virtual clock) delivers Clerk events over HTTP to the forwarder behind the
 * local API Gateway adapter. The forwarder is wired as in Lambda (real Tinybird client, real
 * Secrets Manager SDK client, per-container secret cache) against stand-ins that fail at random
 * from the seed: Tinybird with 5xx, 429, no answer, resets, slow answers and failures after storing
 * the row; Secrets Manager with 500s, throttling, no answer and resets, met whenever a fresh
 * container reads its secret. Afterwards every event the sender was told was delivered is stored,
 * exactly once after de-duplication by event_id, and no 2xx went out for a row Tinybird did not keep.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../lambda/config";
import { createHandler, type Handler } from "../../lambda/forwarder";
import { createJsonLogger } from "../../lambda/logger";
import { createRedactor } from "../../lambda/redaction";
import { createSecretCache } from "../../lambda/secrets";
import {
  createSecretsManagerClient,
  createSecretsManagerReader,
  SECRET_READ_MAX_MS,
} from "../../lambda/secrets-manager";
import { createTinybirdClient } from "../../lambda/tinybird";
import { type LocalApiGateway, serveApiGateway } from "../../local/api-gateway-adapter";
import {
  awsEnvironment,
  SECRET_ID,
  type SecretsManagerAnswer,
  SIGNING_SECRET,
  secretAnswer,
  secretsManagerHandler,
  TINYBIRD_TOKEN,
} from "../support/forwarder-stubs";
import { type StubServer, startStub } from "../support/http-stub";
import { LeakWatch } from "./leaks";
import { personalEvent, typeFor } from "./payloads";
import { draw, pick, seedFromEnv } from "./seeded";
import { type Message, type SvixRun, sendAsSvix } from "./svix-sender";
import {
  acknowledges,
  FaultyTinybird,
  TINYBIRD_FAULTS,
  type TinybirdFault,
  untilCallerGivesUp,
} from "./tinybird-faults";

const SEED = seedFromEnv();
const EVENTS = 300;
/** Events arrive in bursts (as Clerk's do after a sign-up wave), so attempts go out concurrently. */
const BURSTS = 6;
const BURST_GAP_MS = 37_000;
/** Events whose every Tinybird request fails, so the sender's give-up path is exercised. */
const DOOMED = 9;
/**
 * The forwarder's Tinybird timeout: small, so "no answer" costs little real time, yet wide enough
 * that a loaded machine's event-loop delays cannot turn a slow answer (50–80 % of it) into a timeout.
 */
const TINYBIRD_TIMEOUT_MS = 250;
/** Share of idle containers Lambda retires between ticks (their successors read the secret again). */
const RETIRE_SHARE = 0.2;
const START = Date.UTC(2026, 10, 24, 9, 0, 0);

const TINYBIRD_WEIGHTS: readonly (readonly [TinybirdFault, number])[] = [
  ["ok", 0.6],
  ["slow", 0.05],
  ["5xx", 0.08],
  ["429", 0.07],
  ["timeout", 0.05],
  ["reset", 0.05],
  ["stored, then 5xx", 0.03],
  ["stored, then timeout", 0.03],
  ["stored, then reset", 0.04],
];
const DOOMED_CYCLE = TINYBIRD_FAULTS.filter((fault) => !acknowledges(fault));

const SECRETS_MANAGER_FAULTS = [
  "ok",
  "InternalServiceError",
  "ThrottlingException",
  "timeout",
  "reset",
] as const;
type SecretsManagerFault = (typeof SECRETS_MANAGER_FAULTS)[number];
const SECRETS_MANAGER_WEIGHTS: readonly (readonly [SecretsManagerFault, number])[] = [
  ["ok", 0.7],
  ["InternalServiceError", 0.1],
  // The SDK backs off up to a second after a throttle: rarer, to keep the run short.
  ["ThrottlingException", 0.04],
  ["timeout", 0.08],
  ["reset", 0.08],
];

const watch = new LeakWatch();
const logs: Record<string, unknown>[] = [];
const messages: Message[] = [];
const doomed = new Set<string>();
const secretsManagerFaults = new Map<SecretsManagerFault, number>();
let tinybird: FaultyTinybird;
let tinybirdStub: StubServer;
let secretsManager: StubServer;
let gateway: LocalApiGateway;
let run: SvixRun;
let pool: ContainerPool;
const savedEnv: Record<string, string | undefined> = {};

beforeAll(async () => {
  for (let i = 0; i < EVENTS; i += 1) {
    const firstAttemptAt = START + (i % BURSTS) * BURST_GAP_MS;
    const id = `msg_${SEED.toString(36)}sim${String(i).padStart(4, "0")}`;
    const { event, personal } = personalEvent(typeFor(i), i, firstAttemptAt);
    messages.push({ id, body: JSON.stringify(event), firstAttemptAt });
    watch.personalValue(...personal);
  }
  for (const { id } of [...messages].sort(
    (a, b) => draw(SEED, "doomed", a.id) - draw(SEED, "doomed", b.id),
  )) {
    if (doomed.size < DOOMED) doomed.add(id);
  }

  tinybird = new FaultyTinybird({
    token: TINYBIRD_TOKEN,
    dataSource: "clerk_events",
    callerTimeoutMs: TINYBIRD_TIMEOUT_MS,
    seed: SEED,
    plan: (eventId, arrival) =>
      doomed.has(eventId)
        ? DOOMED_CYCLE[arrival % DOOMED_CYCLE.length]!
        : pick(TINYBIRD_WEIGHTS, draw(SEED, "tinybird", eventId, arrival)),
  });
  tinybirdStub = await startStub(tinybird.handler);

  let secretsManagerRequests = 0;
  const answer = (reply: SecretsManagerAnswer) => secretsManagerHandler(() => reply);
  secretsManager = await startStub((req, res) => {
    // The first requests meet each fault once, so every seed covers them all; the rest are drawn.
    const fault =
      SECRETS_MANAGER_FAULTS[secretsManagerRequests] ??
      pick(SECRETS_MANAGER_WEIGHTS, draw(SEED, "secrets", secretsManagerRequests));
    secretsManagerRequests += 1;
    secretsManagerFaults.set(fault, (secretsManagerFaults.get(fault) ?? 0) + 1);
    switch (fault) {
      case "ok":
        return answer(secretAnswer())(req, res);
      case "InternalServiceError":
        return answer({ error: fault, status: 500, message: "stand-in outage" })(req, res);
      case "ThrottlingException":
        return answer({ error: fault, status: 400, message: "Rate exceeded" })(req, res);
      case "timeout":
        return untilCallerGivesUp(res);
      case "reset":
        res.socket?.destroy();
        return undefined;
    }
  });

  const aws = awsEnvironment(secretsManager.url);
  for (const name of Object.keys(aws)) savedEnv[name] = process.env[name];
  Object.assign(process.env, aws);
  watch.secret(SIGNING_SECRET, TINYBIRD_TOKEN, aws.AWS_ACCESS_KEY_ID!, aws.AWS_SECRET_ACCESS_KEY!);

  const loaded = loadConfig({ SECRET_ID, TINYBIRD_HOST: tinybirdStub.url });
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  const { config } = loaded;
  // Svix's timestamp check (inside svix) reads Date.now(): the virtual clock is Date itself.
  vi.useFakeTimers({ toFake: ["Date"] });
  const now = () => Date.now();
  pool = new ContainerPool(() => {
    const client = createSecretsManagerClient({ connectionTimeoutMs: 200, requestTimeoutMs: 100 });
    const handler = createHandler({
      config,
      secrets: createSecretCache(createSecretsManagerReader(client, SECRET_ID), { now }),
      tinybird: createTinybirdClient({ host: config.tinybirdHost, dataSource: config.dataSource, now }),
      logger: createJsonLogger({
        service: "reliability-delivery",
        now,
        write: (line) => {
          watch.output("log", line);
          logs.push(JSON.parse(line) as Record<string, unknown>);
        },
      }),
      now,
      tinybirdTimeoutMs: TINYBIRD_TIMEOUT_MS,
      secretReadMaxMs: SECRET_READ_MAX_MS,
    });
    return { handler, retire: () => client.destroy() };
  });
  gateway = await serveApiGateway((event) => pool.invoke(event));

  run = await sendAsSvix(messages, {
    url: `${gateway.url}/`,
    signingSecret: SIGNING_SECRET,
    setTime: (at) => vi.setSystemTime(at),
    beforeTick: (tick) => pool.retireIdle((i) => draw(SEED, "retire", tick, i) < RETIRE_SHARE),
  });
  pool.retireIdle(() => true);
  for (const attempt of run.attempts) {
    watch.signatureHeader(attempt.signature);
    watch.output("answer body", attempt.body);
  }
}, 60_000);

afterAll(async () => {
  vi.useRealTimers();
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await Promise.all([gateway?.close(), tinybirdStub?.close(), secretsManager?.close()]);
});

const storedIds = () => new Set(tinybird.rows.map((r) => r.eventId));
const is2xx = (status: number) => status >= 200 && status < 300;

describe("a Svix-like sender against failing Tinybird and Secrets Manager", () => {
  it("loses nothing: every event answered 2xx is stored in Tinybird", () => {
    const lost = [...run.delivered].filter((id) => !storedIds().has(id));
    expect(run.delivered.size).toBeGreaterThan(0);
    expect(lost).toEqual([]);
  });

  it("answers 2xx only for an attempt whose own row Tinybird stored", () => {
    const stored = new Set(tinybird.rows.map((r) => `${r.eventId}@${r.receivedAt}`));
    const unbacked = run.attempts.filter((a) => is2xx(a.status) && !stored.has(`${a.id}@${a.at}`));
    expect(unbacked).toEqual([]);
  });

  it("stores each event's payload as sent (redacted), so de-duplicating by event_id keeps a whole row", () => {
    const redact = createRedactor({ extraPaths: [] });
    const byId = new Map(messages.map((m) => [m.id, m]));
    const attemptTimes = new Map<string, Set<number>>();
    for (const a of run.attempts) attemptTimes.set(a.id, (attemptTimes.get(a.id) ?? new Set()).add(a.at));
    for (const { eventId, receivedAt, row } of tinybird.rows) {
      const message = byId.get(eventId);
      expect(message, `a row for an event nobody sent: ${eventId}`).toBeDefined();
      expect(attemptTimes.get(eventId)?.has(receivedAt)).toBe(true);
      const { event_id, event_time, received_at, ...payload } = row;
      expect(payload).toEqual(redact(JSON.parse(message!.body) as Record<string, unknown>));
    }
    const deduplicated = new Map(tinybird.rows.map((r) => [r.eventId, r]));
    for (const id of run.delivered) expect(deduplicated.has(id)).toBe(true);
    expect(deduplicated.size).toBe(storedIds().size);
  });

  it("counts nothing it gave up on as delivered, and gives up on the events Tinybird never acknowledged", () => {
    expect([...run.gaveUp].filter((id) => run.delivered.has(id))).toEqual([]);
    for (const a of run.attempts) if (run.gaveUp.has(a.id)) expect(is2xx(a.status)).toBe(false);
    expect([...doomed].filter((id) => !run.gaveUp.has(id))).toEqual([]);
    for (const id of doomed) {
      expect(run.attempts.filter((a) => a.id === id).map((a) => a.number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    }
  });

  it("re-signs every attempt with its own timestamp under the same svix-id", () => {
    const byId = new Map<string, Set<string>>();
    for (const a of run.attempts) byId.set(a.id, (byId.get(a.id) ?? new Set()).add(a.signature));
    for (const id of doomed) expect(byId.get(id)?.size).toBe(8);
  });

  it("answers every failure 503 with a Retry-After Svix can read, and nothing else but 200", () => {
    const statuses = new Set(run.attempts.map((a) => a.status));
    expect([...statuses].sort()).toEqual([200, 503]);
    for (const a of run.attempts.filter((x) => x.status === 503)) {
      expect(a.retryAfter).toMatch(/^\d+$/);
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(a.retryAfter)).toBeLessThanOrEqual(300);
    }
    expect(logs).toHaveLength(run.attempts.length);
  });

  it("met every fault it was meant to: each Tinybird failure, stored-then-lost answers, Secrets Manager failures", () => {
    for (const fault of TINYBIRD_FAULTS) expect(tinybird.faults.get(fault) ?? 0, fault).toBeGreaterThan(0);
    for (const fault of SECRETS_MANAGER_FAULTS) {
      expect(secretsManagerFaults.get(fault) ?? 0, fault).toBeGreaterThan(0);
    }
    expect(logs.filter((l) => l.outcome === "secrets_unavailable").length).toBeGreaterThan(0);
    expect(tinybird.rows.length).toBeGreaterThan(storedIds().size);
    expect(tinybird.contractErrors).toEqual([]);
  });

  it("printed no secret, signature, e-mail or IP address in any log line or answer body", () => {
    expect(watch.outputCount).toBe(2 * run.attempts.length);
    expect(watch.find()).toEqual([]);
  });

  it("reports its figures", () => {
    const figures = deliveryFigures();
    process.stdout.write(`${figures.join("\n")}\n`);
    expect(figures.at(-1)).toBe("  lost: 0");
  });
});

function deliveryFigures(): string[] {
  const tinybirdRequests = tinybird.requests;
  const failed = [...tinybird.faults].filter(([f]) => !acknowledges(f)).reduce((n, [, c]) => n + c, 0);
  const storedThenLost = [...tinybird.faults]
    .filter(([f]) => f.startsWith("stored"))
    .reduce((n, [, c]) => n + c, 0);
  const smRequests = [...secretsManagerFaults.values()].reduce((a, b) => a + b, 0);
  const smFailed = smRequests - (secretsManagerFaults.get("ok") ?? 0);
  const statuses = new Map<number, number>();
  for (const a of run.attempts) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
  const distinct = storedIds().size;
  const pct = (n: number, d: number) => `${((100 * n) / Math.max(d, 1)).toFixed(1)} %`;
  const kinds = <K>(m: Map<K, number>) => [...m].map(([k, v]) => `${k} ${v}`).join(", ");
  return [
    `delivery simulation (seed ${SEED}): ${EVENTS} events in ${BURSTS} bursts, ${DOOMED} of them never acknowledged; Svix schedule compressed (${run.ticks} virtual moments over ${((Math.max(...run.attempts.map((a) => a.at)) - START) / 3_600_000).toFixed(1)} h)`,
    `  Tinybird: ${tinybirdRequests} requests, failures injected ${pct(failed, tinybirdRequests)} (${kinds(tinybird.faults)}); stored but answer lost ${storedThenLost}`,
    `  Secrets Manager: ${smRequests} requests from ${pool.created} containers, failures injected ${pct(smFailed, smRequests)} (${kinds(secretsManagerFaults)})`,
    `  deliveries attempted: ${run.attempts.length} (${kinds(statuses)}); delivered ${run.delivered.size}, gave up ${run.gaveUp.size}`,
    `  rows stored: ${tinybird.rows.length}; distinct event ids ${distinct}; duplicates removed ${tinybird.rows.length - distinct}; stored though Svix gave up ${[...run.gaveUp].filter((id) => storedIds().has(id)).length}`,
    `  lost: ${[...run.delivered].filter((id) => !storedIds().has(id)).length}`,
  ];
}

interface Container {
  handler: Handler;
  retire(): void;
}

/**
 * Lambda's scaling as the forwarder meets it: one request at a time per container, an idle
 * container reused, a new one (a cold start: its own SDK client, cache and connections) when all
 * are busy, and idle ones retired now and then.
 */
class ContainerPool {
  created = 0;
  private idle: Container[] = [];

  constructor(private readonly create: () => Container) {}

  async invoke(event: Parameters<Handler>[0]): ReturnType<Handler> {
    const container = this.idle.pop() ?? this.cold();
    try {
      return await container.handler(event);
    } finally {
      this.idle.push(container);
    }
  }

  /** Retires the idle containers `chosen` picks (by their place in the idle list). */
  retireIdle(chosen: (index: number) => boolean): void {
    this.idle = this.idle.filter((container, index) => {
      if (!chosen(index)) return true;
      container.retire();
      return false;
    });
  }

  private cold(): Container {
    this.created += 1;
    return this.create();
  }
}
