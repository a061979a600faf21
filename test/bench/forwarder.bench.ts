/**
 * `npm run bench -- forwarder`: the deployed bundle's size, cold start and warm cost, each beside
 * its floor, against local Tinybird and Secrets Manager stand-ins. Figures, not pass/fail: each
 * target is printed next to what was measured.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { buildForwarderBundle } from "../../lambda/build";
import {
  awsEnvironment,
  clerkFixture,
  SECRET_ID,
  secretAnswer,
  secretsManagerHandler,
  signedEvent,
  TINYBIRD_TOKEN,
  tinybirdStored,
} from "../support/forwarder-stubs";
import { type StubServer, startStub } from "../support/http-stub";

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 11);
const WARM_EVENTS = 1_000;
const WARM_ROUNDS = 5;
const SAMPLE = "user.created";

// What the Lambda runtime does for a cold start, minus the runtime: load index.js, serve one event,
// then report on fd 3 (stdout carries the handler's log line). The clock stops at that report:
// process exit is not part of a cold start (Lambda keeps the process), and here it costs tens of
// milliseconds of V8 teardown after the SDK ran.
const COLD_RUNNER = `
const { readFileSync, writeSync } = require("node:fs");
const started = performance.now();
const { handler } = require("./index.js");
const loaded = performance.now();
handler(JSON.parse(readFileSync(process.env.EVENT_FILE, "utf8"))).then((result) => {
  const served = performance.now();
  writeSync(3, JSON.stringify({ status: result.statusCode, boot: started, load: loaded - started, first: served - loaded }));
});
`;
const BARE_RUNNER = ["-e", 'require("node:fs").writeSync(3, JSON.stringify({ status: 200 }))'];
// A fresh process's first POST, timed from spawn (the Tinybird client's choice of transport).
const FIRST_POST = {
  fetch:
    'fetch(process.env.URL, { method: "POST", body: "{}" }).then((r) => r.text()).then(() => require("node:fs").writeSync(3, \'{"status":200}\'))',
  http: 'const r = require("node:http").request(process.env.URL, { method: "POST", agent: new (require("node:http").Agent)({ keepAlive: true }) }, (res) => { res.resume(); res.on("end", () => require("node:fs").writeSync(3, \'{"status":200}\')); }); r.end("{}");',
};

export async function run(): Promise<void> {
  const tinybird = await startStub(() => tinybirdStored());
  const secretsManager = await startStub(secretsManagerHandler(() => secretAnswer()));
  const dir = mkdtempSync(join(tmpdir(), "forwarder-bench-"));
  try {
    const env = { ...awsEnvironment(secretsManager.url), SECRET_ID, TINYBIRD_HOST: tinybird.url };
    const bundled = writeVariant(dir, "bundled", buildForwarderBundle().code);
    const external = writeVariant(
      dir,
      "sdk-external",
      buildForwarderBundle({ external: ["@aws-sdk/*"] }).code,
    );

    const cold = await coldStarts(dir, env, [bundled, external]);
    const warm = await warmRun(bundled, env, tinybird, secretsManager);

    const bare = cold.get("bare node")!.total;
    const c = cold.get(bundled.name)!;
    const e = cold.get(external.name)!;
    const coldRatio = c.total / bare;
    const warmRatio = warm.handlerMedian / warm.floorMedian;
    const phases = (f: ColdFigures) => `load ${ms(f.load!)}, first event ${ms(f.first!)}`;
    const lines = [
      "| figure | measured | floor / comparison | ratio | target |",
      "| --- | --- | --- | --- | --- |",
      `| bundle size | ${kb(bundled.raw)} raw, ${kb(bundled.gzip)} gzip | SDK external: ${kb(external.raw)} raw, ${kb(external.gzip)} gzip | | |`,
      `| cold start, median of ${COLD_RUNS} (spawn → first event served) | ${ms(c.total)} (${phases(c)}) | bare \`node\`: ${ms(bare)} | ${coldRatio.toFixed(2)}× | ≤ 1.5× ${mark(coldRatio <= 1.5)} |`,
      `| cold start, SDK external (runtime's copy) | ${ms(e.total)} (${phases(e)}) | bare \`node\`: ${ms(bare)} | ${(e.total / bare).toFixed(2)}× | (comparison) |`,
      `| spawn → first POST answered | node:http ${ms(cold.get("first POST: node:http")!.total)} | fetch ${ms(cold.get("first POST: fetch")!.total)} | | (why not fetch) |`,
      `| warm per event, median | ${ms(warm.handlerMedian, 3)} | keep-alive fetch POST: ${ms(warm.floorMedian, 3)} | ${warmRatio.toFixed(2)}× | ≤ 1.5× ${mark(warmRatio <= 1.5)} |`,
      `| warm per event, mean | ${ms(warm.handlerMean, 3)} | keep-alive fetch POST: ${ms(warm.floorMean, 3)} | ${(warm.handlerMean / warm.floorMean).toFixed(2)}× | |`,
      `| warm per event, median, against node:http | ${ms(warm.handlerMedian, 3)} | keep-alive node:http POST: ${ms(warm.httpFloorMedian, 3)} | ${(warm.handlerMedian / warm.httpFloorMedian).toFixed(2)}× | (the handler's own transport) |`,
      `| Secrets Manager reads, container start + ${WARM_EVENTS.toLocaleString("en")} events | ${warm.secretReads} | | | 1 ${mark(warm.secretReads === 1)} |`,
      `| TCP connections to Tinybird, container start + ${WARM_EVENTS.toLocaleString("en")} events | ${warm.connections} | | | ≤ 2 ${mark(warm.connections <= 2)} |`,
    ];
    process.stdout.write(`${lines.join("\n")}\n\n`);
    process.stdout.write(
      `node ${process.version}; warm: after ${WARM_EVENTS.toLocaleString("en")} events through a fresh container, ` +
        `${WARM_ROUNDS} alternating rounds of ${WARM_EVENTS / WARM_ROUNDS} fetch POSTs, node:http POSTs and handler ` +
        `events; sample ${SAMPLE} (${warm.bodyBytes} bytes).\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all([tinybird.close(), secretsManager.close()]);
  }
}

interface Variant {
  name: string;
  dir: string;
  raw: number;
  gzip: number;
}

function writeVariant(root: string, name: string, code: string): Variant {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "index.js"), code);
  writeFileSync(join(dir, "run.js"), COLD_RUNNER);
  const bytes = Buffer.from(code);
  return { name, dir, raw: bytes.length, gzip: gzipSync(bytes).length };
}

interface ColdFigures {
  total: number;
  load?: number;
  first?: number;
}

/** Medians from spawn to the child's report, alternating the variants so drift hits each alike. */
async function coldStarts(
  dir: string,
  env: Record<string, string>,
  variants: Variant[],
): Promise<Map<string, ColdFigures>> {
  const eventFile = join(dir, "event.json");
  const runs: Array<{ name: string; args: string[]; cwd: string; env: Record<string, string> }> = [
    { name: "bare node", args: BARE_RUNNER, cwd: dir, env: {} },
    ...variants.map((v) => ({
      name: v.name,
      args: ["run.js"],
      cwd: v.dir,
      // Only the SDK-external variant needs NODE_PATH: it finds @aws-sdk/* as Lambda's runtime would.
      env: { ...env, EVENT_FILE: eventFile, NODE_PATH: join(__dirname, "..", "..", "node_modules") },
    })),
    {
      name: "first POST: fetch",
      args: ["-e", FIRST_POST.fetch],
      cwd: dir,
      env: { URL: `${env.TINYBIRD_HOST}/` },
    },
    {
      name: "first POST: node:http",
      args: ["-e", FIRST_POST.http],
      cwd: dir,
      env: { URL: `${env.TINYBIRD_HOST}/` },
    },
  ];
  const samples = new Map<string, Array<{ total: number; load?: number; first?: number }>>(
    runs.map((r) => [r.name, []]),
  );
  for (let i = 0; i < COLD_RUNS + 1; i += 1) {
    // Signed afresh each round so the timestamp stays inside the tolerance.
    writeFileSync(eventFile, JSON.stringify(signedEvent(clerkFixture(SAMPLE))));
    for (const r of runs) {
      const sample = await timeProcess(r.args, r.cwd, r.env);
      if (i > 0) samples.get(r.name)!.push(sample); // the first round warms the OS file cache
    }
  }
  const pick = (list: ColdFigures[], key: keyof ColdFigures) => {
    const values = list.map((x) => x[key]).filter((x): x is number => x !== undefined);
    return values.length ? median(values) : undefined;
  };
  return new Map(
    [...samples].map(([name, list]) => [
      name,
      { total: pick(list, "total")!, load: pick(list, "load"), first: pick(list, "first") },
    ]),
  );
}

function timeProcess(args: string[], cwd: string, env: Record<string, string>): Promise<ColdFigures> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      cwd,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let report: (ColdFigures & { status?: number }) | undefined;
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    child.stdio[3]!.on("data", (chunk: Buffer) => {
      const elapsed = performance.now() - started;
      const { status, load, first } = JSON.parse(String(chunk)) as {
        status: number;
        load?: number;
        first?: number;
      };
      report = { status, total: elapsed, load, first };
      child.kill();
    });
    child.on("error", reject);
    child.on("exit", () => {
      if (report?.status === 200) resolve(report);
      else reject(new Error(`node ${args.join(" ")} did not serve its event (${report?.status}): ${stderr}`));
    });
  });
}

interface WarmFigures {
  handlerMedian: number;
  handlerMean: number;
  floorMedian: number;
  floorMean: number;
  httpFloorMedian: number;
  httpFloorMean: number;
  secretReads: number;
  connections: number;
  bodyBytes: number;
}

async function warmRun(
  variant: Variant,
  env: Record<string, string>,
  tinybird: StubServer,
  secretsManager: StubServer,
): Promise<WarmFigures> {
  Object.assign(process.env, env);
  const events = Array.from({ length: WARM_EVENTS * 2 }, () => signedEvent(clerkFixture(SAMPLE)));
  const bodyBytes = Buffer.byteLength(events[0]!.body!);

  // The bundle logs one line per event to stdout; here it is counted, not printed.
  const write = process.stdout.write;
  let logged = 0;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    logged += chunk.length;
    return true;
  }) as typeof process.stdout.write;
  try {
    const readsBefore = secretsManager.requests.length;
    const connectionsBefore = tinybird.connections();
    const { handler } = createRequire(join(variant.dir, "index.js"))("./index.js") as { handler: Handler };

    // A fresh container serving 1,000 events: how many secret reads and connections they cost.
    for (let i = 0; i < WARM_EVENTS; i += 1) {
      const result = await handler(events[i]!);
      if (result.statusCode !== 200) throw new Error(`handler answered ${result.statusCode}: ${result.body}`);
    }
    const secretReads = secretsManager.requests.length - readsBefore;
    const connections = tinybird.connections() - connectionsBefore;

    // The floor: the same NDJSON line POSTed with a bare keep-alive fetch to the same stand-in.
    const line = tinybird.requests.at(-1)!.text;
    const url = `${tinybird.url}/v0/events?name=clerk_events&wait=true`;
    const headers = { authorization: `Bearer ${TINYBIRD_TOKEN}`, "content-type": "application/x-ndjson" };
    const floorOnce = async () => {
      const response = await fetch(url, { method: "POST", headers, body: line });
      await response.text();
    };
    // And with node:http, what the handler itself uses: the floor under its own transport.
    const agent = new Agent({ keepAlive: true });
    const httpFloorOnce = () =>
      new Promise<void>((resolve, reject) => {
        const req = request(url, { method: "POST", agent, headers }, (res) => {
          res.resume();
          res.on("end", resolve);
        });
        req.on("error", reject);
        req.end(line);
      });

    const handlerTimes: number[] = [];
    const floorTimes: number[] = [];
    const httpFloorTimes: number[] = [];
    const perRound = WARM_EVENTS / WARM_ROUNDS;
    let next = WARM_EVENTS;
    for (let round = 0; round < WARM_ROUNDS; round += 1) {
      for (let i = 0; i < perRound; i += 1) {
        const started = performance.now();
        await floorOnce();
        floorTimes.push(performance.now() - started);
      }
      for (let i = 0; i < perRound; i += 1) {
        const started = performance.now();
        await httpFloorOnce();
        httpFloorTimes.push(performance.now() - started);
      }
      for (let i = 0; i < perRound; i += 1) {
        const event = events[next++]!;
        const started = performance.now();
        const result = await handler(event);
        handlerTimes.push(performance.now() - started);
        // A refused event (e.g. its signature aged past the tolerance) would time a shortcut.
        if (result.statusCode !== 200)
          throw new Error(`handler answered ${result.statusCode}: ${result.body}`);
      }
      tinybird.requests.length = 0;
    }
    if (logged === 0)
      throw new Error("the bundle logged nothing: the bench is not measuring the real handler");
    return {
      handlerMedian: median(handlerTimes),
      handlerMean: mean(handlerTimes),
      floorMedian: median(floorTimes),
      floorMean: mean(floorTimes),
      httpFloorMedian: median(httpFloorTimes),
      httpFloorMean: mean(httpFloorTimes),
      secretReads,
      connections,
      bodyBytes,
    };
  } finally {
    process.stdout.write = write;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function ms(value: number, digits = 1): string {
  return `${value.toFixed(digits)} ms`;
}

function mark(met: boolean): string {
  return met ? "met" : "MISSED";
}
