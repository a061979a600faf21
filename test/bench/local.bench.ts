/**
 * `npm run bench -- local`: `npm start` itself (its own process, a temporary data folder), fed
 * signed Clerk events (the 45 fixture types, ~1–3 KB, each a new svix-id) with 32 requests in flight
 * for at least 20 s, through the webhook port, the forwarder and the store's Events API: every
 * delivery is one INSERT unless concurrent ones share it (group commit). Prints deliveries/s, latency
 * percentiles, the statuses (503s), the inserts the deliveries shared, and the machine's load;
 * then checks, in the data folder, that every delivery answered 200 is stored.
 * BENCH_LOCAL_IN_FLIGHT and BENCH_LOCAL_SECONDS change the defaults.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Session } from "chdb";
import { ROLLUPS_BEHIND_FILE } from "../../local/store";
import { personalEvent, typeFor } from "../reliability/payloads";
import { svixSignature } from "../reliability/svix-signing";

const IN_FLIGHT = Number(process.env.BENCH_LOCAL_IN_FLIGHT ?? 32);
const SECONDS = Number(process.env.BENCH_LOCAL_SECONDS ?? 20);
const WARM_UP = 200;
const ROOT = join(__dirname, "..", "..");

interface Started {
  child: ChildProcess;
  webhookUrl: string;
  dataDir: string;
  stderr: string[];
}

/** `npm start` on free ports and a temporary folder; resolves once its banner names the webhook. */
function startNpmStart(): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), "bench-local-"));
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "local", "start.ts")], {
    cwd: ROOT,
    env: { ...process.env, LOCAL_DATA_DIR: dataDir, PORT: "0", WEBHOOK_PORT: "0", CLERK_WEBHOOK_SECRET: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderr: string[] = [];
  child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")));
  return new Promise((resolve, reject) => {
    let out = "";
    const banner = (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const webhook = /Webhook URL\s+(\S+)/.exec(out);
      if (!webhook) return;
      // Then one log line per delivery: read and dropped, so the bench spends nothing on them.
      child.stdout!.off("data", banner);
      child.stdout!.resume();
      resolve({ child, webhookUrl: webhook[1]!, dataDir, stderr });
    };
    child.stdout!.on("data", banner);
    child.once("exit", (code) => reject(new Error(`npm start exited (${code}): ${stderr.join("")}`)));
  });
}

let sequence = 0;

/** The next event, signed now with the local signing secret, as Svix signs. */
function signedEvent(secret: string): { body: string; headers: Record<string, string> } {
  const n = sequence++;
  const now = Date.now();
  const body = JSON.stringify(personalEvent(typeFor(n), n, now).event);
  const id = `msg_bench${String(n).padStart(8, "0")}`;
  return {
    body,
    headers: {
      "content-type": "application/json",
      "svix-id": id,
      "svix-timestamp": String(Math.floor(now / 1000)),
      "svix-signature": svixSignature(secret, id, Math.floor(now / 1000), body),
      "content-length": String(Buffer.byteLength(body)),
    },
  };
}

function post(url: string, agent: Agent, event: ReturnType<typeof signedEvent>): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: "POST", agent, headers: event.headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve(0));
    req.end(event.body);
  });
}

interface Run {
  seconds: number;
  latencies: number[];
  statuses: Map<number, number>;
  stored: Set<string>;
}

async function drive(url: string, secret: string, count: number | undefined, seconds: number): Promise<Run> {
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const run: Run = { seconds: 0, latencies: [], statuses: new Map(), stored: new Set() };
  const started = performance.now();
  let sent = 0;
  const more = () => (count === undefined ? performance.now() - started < seconds * 1000 : sent < count);
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (more()) {
        sent += 1;
        const event = signedEvent(secret);
        const t0 = performance.now();
        const status = await post(url, agent, event);
        run.latencies.push(performance.now() - t0);
        run.statuses.set(status, (run.statuses.get(status) ?? 0) + 1);
        if (status === 200) run.stored.add(event.headers["svix-id"]!);
      }
    }),
  );
  run.seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return run;
}

/** CPU seconds (user + system, every thread) a process has used, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime, fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

export async function run(): Promise<void> {
  process.stdout.write(
    `machine: ${cpus().length} cores, load average ${load()} (1, 5, 15 min) at the start\n`,
  );
  const started = await startNpmStart();
  try {
    const secret = readFileSync(join(started.dataDir, "signing-secret"), "utf8").trim();
    await drive(started.webhookUrl, secret, WARM_UP, 0);
    const cpuBefore = cpuSeconds(started.child.pid!);
    const measured = await drive(started.webhookUrl, secret, undefined, SECONDS);
    const cpu = cpuSeconds(started.child.pid!) - cpuBefore;
    const sorted = [...measured.latencies].sort((a, b) => a - b);
    const total = measured.latencies.length;
    const statuses = [...measured.statuses].map(([s, n]) => `${s}: ${n}`).join(", ");
    const rate = total / measured.seconds;
    const lines = [
      `${IN_FLIGHT} in flight for ${measured.seconds.toFixed(1)} s: ${total} deliveries, ${rate.toFixed(0)} deliveries/s`,
      `latency p50 ${percentile(sorted, 50).toFixed(0)} ms, p95 ${percentile(sorted, 95).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`,
      `statuses ${statuses}; 503s: ${measured.statuses.get(503) ?? 0}`,
      `load average at the end ${load()}`,
      `npm start's CPU (all threads): ${cpu.toFixed(1)} s, ${((cpu / total) * 1000).toFixed(2)} ms per delivery: ${cpus().length} idle cores would take ${Math.round((cpus().length * total) / cpu)} deliveries/s`,
      "target (2 cores): >= 500 deliveries/s, p99 <= 250 ms, no 503",
    ];
    for (const line of lines) process.stdout.write(`${line}\n`);
    started.child.kill("SIGTERM");
    await new Promise((resolve) => started.child.once("exit", resolve));
    const shared = /(\d+) appends? to \S+ in (\d+) inserts?, taken by the rollups in (\d+) batch(?:es)?/.exec(
      started.stderr.join(""),
    );
    if (shared)
      process.stdout.write(
        `group commit: ${shared[1]} appends (warm-up included) in ${shared[2]} inserts, ${(Number(shared[1]) / Number(shared[2])).toFixed(1)} per insert; the rollups took them in ${shared[3]} batches (${existsSync(join(started.dataDir, ROLLUPS_BEHIND_FILE)) ? "NOT all: the next start rebuilds them" : "all of them"})\n`,
      );
    // Every delivery answered 200 is in the store (and the store holds nothing else of this run).
    const session = new Session(started.dataDir);
    try {
      const ids = new Set(
        session
          .query(
            "SELECT DISTINCT event_id FROM tinybird.clerk_events WHERE startsWith(event_id, 'msg_bench')",
            "TSV",
          )
          .split("\n")
          .filter(Boolean),
      );
      const missing = [...measured.stored].filter((id) => !ids.has(id)).length;
      const parts = session
        .query("SELECT count() FROM system.parts WHERE database = 'tinybird' AND active", "TSV")
        .trim();
      process.stdout.write(
        `stored: ${ids.size} distinct deliveries (warm-up included); answered 200 but missing: ${missing}; active parts ${parts}\n`,
      );
    } finally {
      session.close();
    }
    process.stdout.write(
      `${JSON.stringify({ inFlight: IN_FLIGHT, seconds: measured.seconds, deliveries: total, perSecond: Math.round(rate), p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), status503: measured.statuses.get(503) ?? 0, cpuMsPerDelivery: (cpu / total) * 1000, load: loadavg() })}\n`,
    );
  } finally {
    if (started.child.exitCode === null) started.child.kill("SIGKILL");
    rmSync(started.dataDir, { recursive: true, force: true });
  }
}
