/**
 * `npm run bench -- load`: signed Clerk events, 64 in flight, against `npm run dev` (the forwarder
 * behind the API Gateway adapter, in its own process) and against a bare node:http server doing the
 * same forwarding without verification (the ceiling on this machine), both forwarding to one local
 * Tinybird stand-in on 127.0.0.1. Prints throughput, latency percentiles and the server's memory
 * after a full GC at the start and after each round. Bounded: a fixed count per round and a
 * deadline. Every log line and answer body of the forwarder run is checked for leaked secrets,
 * signatures and addresses.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { LeakWatch } from "../reliability/leaks";
import type { MemoryReport, ServerMessage } from "../reliability/load-server";
import { personalEvent, typeFor } from "../reliability/payloads";
import { svixSignature } from "../reliability/svix-signing";
import { SIGNING_SECRET, TINYBIRD_TOKEN, tinybirdStored } from "../support/forwarder-stubs";
import { type StubServer, startStub } from "../support/http-stub";

const IN_FLIGHT = Number(process.env.BENCH_LOAD_IN_FLIGHT ?? 64);
const WARM_UP = 500;
const ROUND = Number(process.env.BENCH_LOAD_EVENTS ?? 2_000);
const ROUNDS = Number(process.env.BENCH_LOAD_ROUNDS ?? 4);
/** No round may run longer than this; what was sent by then is reported. */
const ROUND_DEADLINE_MS = 60_000;
const SERVER_ENTRY = join(__dirname, "..", "reliability", "load-server.ts");

interface Signed {
  id: string;
  body: string;
  headers: Record<string, string>;
}

interface RoundResult {
  sent: number;
  seconds: number;
  latenciesMs: number[];
  statuses: Map<number, number>;
  bodies: string[];
}

interface ServerRun {
  label: string;
  rounds: RoundResult[];
  memory: MemoryReport[];
  logLines: string[];
  forwardedIds: Map<string, number>;
}

let sequence = 0;

/** Events signed now (Svix's ±5 min tolerance), each a new message with its own addresses. */
function signEvents(count: number, watch: LeakWatch): Signed[] {
  const now = Date.now();
  return Array.from({ length: count }, () => {
    const n = sequence++;
    const { event, personal } = personalEvent(typeFor(n), n, now);
    const body = JSON.stringify(event);
    const id = `msg_load${String(n).padStart(7, "0")}`;
    const signature = svixSignature(SIGNING_SECRET, id, Math.floor(now / 1000), body);
    watch.personalValue(...personal);
    watch.signatureHeader(signature);
    return {
      id,
      body,
      headers: {
        "content-type": "application/json",
        "svix-id": id,
        "svix-timestamp": String(Math.floor(now / 1000)),
        "svix-signature": signature,
        "content-length": String(Buffer.byteLength(body)),
      },
    };
  });
}

function post(url: string, agent: Agent, event: Signed): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(url, { method: "POST", agent, headers: event.headers });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    req.on("error", (error) => resolve({ status: 0, body: error.message }));
    req.end(event.body);
  });
}

/** Sends every event with `IN_FLIGHT` requests open at a time, until done or the deadline. */
async function drive(url: string, events: Signed[]): Promise<RoundResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const result: RoundResult = { sent: 0, seconds: 0, latenciesMs: [], statuses: new Map(), bodies: [] };
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < events.length && performance.now() - started < ROUND_DEADLINE_MS) {
      const event = events[next++]!;
      const t0 = performance.now();
      const answer = await post(url, agent, event);
      result.latenciesMs.push(performance.now() - t0);
      result.statuses.set(answer.status, (result.statuses.get(answer.status) ?? 0) + 1);
      result.bodies.push(answer.body);
      result.sent += 1;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  result.seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return result;
}

interface LoadServer {
  url: string;
  child: ChildProcess;
  stdout: string[];
  memory(): Promise<MemoryReport>;
  stop(): Promise<void>;
}

async function startServer(mode: "forwarder" | "bare", tinybirdUrl: string): Promise<LoadServer> {
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", SERVER_ENTRY, mode], {
    env: {
      ...process.env,
      TINYBIRD_HOST: tinybirdUrl,
      TINYBIRD_TOKEN,
      CLERK_WEBHOOK_SECRET: SIGNING_SECRET,
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const stdout: string[] = [];
  let partial = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop()!;
    stdout.push(...lines);
  });
  const next = () =>
    new Promise<ServerMessage>((resolve, reject) => {
      child.once("message", (message) => resolve(message as ServerMessage));
      child.once("exit", (code) => reject(new Error(`${mode} server exited (${code})`)));
    });
  const first = await next();
  if (!("url" in first)) throw new Error(`${mode} server failed: ${"error" in first ? first.error : "?"}`);
  return {
    url: first.url,
    child,
    stdout,
    async memory() {
      const reply = next();
      child.send("memory");
      const message = await reply;
      if (!("memory" in message)) throw new Error(`${mode} server sent no memory figures`);
      return message.memory;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.send("exit");
      }),
  };
}

async function loadRun(
  label: string,
  mode: "forwarder" | "bare",
  tinybird: StubServer,
  watch: LeakWatch,
): Promise<ServerRun> {
  const server = await startServer(mode, tinybird.url);
  const forwardedIds = new Map<string, number>();
  const collect = () => {
    for (const req of tinybird.requests) {
      const id = String((JSON.parse(req.text) as { event_id?: unknown }).event_id);
      forwardedIds.set(id, (forwardedIds.get(id) ?? 0) + 1);
    }
    tinybird.requests.length = 0;
  };
  try {
    await drive(server.url, signEvents(WARM_UP, watch));
    tinybird.requests.length = 0;
    const memory = [await server.memory()];
    const rounds: RoundResult[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      const events = signEvents(ROUND, watch);
      rounds.push(await drive(server.url, events));
      collect();
      memory.push(await server.memory());
      for (const event of events) forwardedIds.set(event.id, forwardedIds.get(event.id) ?? 0);
    }
    return { label, rounds, memory, logLines: server.stdout, forwardedIds };
  } finally {
    await server.stop();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function summary(run: ServerRun) {
  const latencies = run.rounds.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const sent = run.rounds.reduce((n, r) => n + r.sent, 0);
  const seconds = run.rounds.reduce((n, r) => n + r.seconds, 0);
  const ok = run.rounds.reduce((n, r) => n + (r.statuses.get(200) ?? 0), 0);
  return {
    sent,
    ok,
    perSecond: sent / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const signedMb = (bytes: number) => `${bytes < 0 ? "−" : "+"}${mb(Math.abs(bytes))}`;
const mem = (m: MemoryReport) => `${mb(m.heapUsed)} / ${mb(m.rss)}`;
const change = (from: MemoryReport, to: MemoryReport) =>
  `${signedMb(to.heapUsed - from.heapUsed)} / ${signedMb(to.rss - from.rss)}`;
const ms = (value: number) => `${value.toFixed(1)} ms`;

export async function run(): Promise<void> {
  const tinybird = await startStub(() => tinybirdStored());
  const watch = new LeakWatch();
  watch.secret(SIGNING_SECRET, TINYBIRD_TOKEN);
  try {
    const bare = await loadRun(
      "bare node:http forwarding, no verification (ceiling)",
      "bare",
      tinybird,
      watch,
    );
    const forwarder = await loadRun(
      "npm run dev (forwarder behind the API Gateway adapter)",
      "forwarder",
      tinybird,
      watch,
    );

    const b = summary(bare);
    const f = summary(forwarder);
    const lines = [
      `${ROUNDS} rounds of ${ROUND} signed Clerk events (all 45 types), ${IN_FLIGHT} in flight, after ${WARM_UP} warm-up events; 127.0.0.1, Tinybird stand-in in the load generator's process`,
      "",
      "| server | events | 200 | events/s | p50 | p95 | p99 |",
      "| --- | --- | --- | --- | --- | --- | --- |",
      ...(
        [
          [bare.label, b],
          [forwarder.label, f],
        ] as const
      ).map(
        ([label, s]) =>
          `| ${label} | ${s.sent} | ${s.ok} | ${s.perSecond.toFixed(0)} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} |`,
      ),
      "",
      `forwarder throughput: ${((100 * f.perSecond) / b.perSecond).toFixed(0)} % of the ceiling; p50 ${(f.p50 / b.p50).toFixed(1)}× the ceiling's`,
      "",
      `server memory after ${bare.memory[0]!.collected ? "a full GC (--expose-gc)" : "no GC (node without --expose-gc)"}, heap used / RSS:`,
      "",
      "| checkpoint | ceiling | forwarder |",
      "| --- | --- | --- |",
      ...bare.memory.map(
        (m, i) =>
          `| ${i === 0 ? "start (after warm-up)" : `after ${i * ROUND} events`} | ${mem(m)} | ${mem(forwarder.memory[i]!)} |`,
      ),
      `| change, start → end | ${change(bare.memory[0]!, bare.memory.at(-1)!)} | ${change(forwarder.memory[0]!, forwarder.memory.at(-1)!)} |`,
      `| change, after round 1 → end | ${change(bare.memory[1]!, bare.memory.at(-1)!)} | ${change(forwarder.memory[1]!, forwarder.memory.at(-1)!)} |`,
    ];

    for (const line of forwarder.logLines) watch.output("forwarder log", line);
    for (const body of forwarder.rounds.flatMap((r) => r.bodies)) watch.output("forwarder answer", body);
    const leaks = watch.find();
    const counts = [...forwarder.forwardedIds.values()];
    const lost = counts.filter((n) => n === 0).length;
    const duplicated = counts.filter((n) => n > 1).length;
    lines.push(
      "",
      `forwarder: ${forwarder.logLines.length} log lines and ${f.sent} answer bodies checked: ${leaks.length === 0 ? "no" : leaks.length} leaked secret, signature, e-mail or IP address; at the stand-in: ${counts.length - lost} of ${counts.length} events, ${lost} missing, ${duplicated} twice`,
    );
    process.stdout.write(`${lines.join("\n")}\n`);
    if (leaks.length > 0)
      throw new Error(`leaks in the forwarder's output: ${JSON.stringify(leaks.slice(0, 5))}`);
  } finally {
    await tinybird.close();
  }
}
