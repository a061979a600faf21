/**
 * Redaction cost per event on the warm path, next to what the forwarder pays anyway per event: a
 * keep-alive HTTP round trip on 127.0.0.1 (the floor of the Tinybird call) and serialising the event.
 * Target: redaction must not move the warm per-event figure noticeably.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createRedactor } from "../../lambda/redaction/index";
import { clerkFixture } from "../support/forwarder-stubs";

const WARMUP = 2_000;
const RUNS = 20_000;
const FETCH_RUNS = 1_000;

interface Figures {
  mean: number;
  p99: number;
}

function summarize(samplesNs: number[]): Figures {
  const sorted = [...samplesNs].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!;
  return { mean: mean / 1000, p99: p99 / 1000 };
}

function measure(work: () => unknown): Figures {
  for (let i = 0; i < WARMUP; i++) work();
  const samples = new Array<number>(RUNS);
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    work();
    samples[i] = Number(process.hrtime.bigint() - start);
  }
  return summarize(samples);
}

async function measureLocalRoundTrip(): Promise<Figures> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.end('{"successful_rows":1,"quarantined_rows":0}'));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v0/events?name=clerk_events&wait=true`;
  const post = async () => {
    const response = await fetch(url, { method: "POST", body: '{"type":"session.created"}\n' });
    await response.text();
  };
  try {
    for (let i = 0; i < 100; i++) await post();
    const samples: number[] = [];
    for (let i = 0; i < FETCH_RUNS; i++) {
      const start = process.hrtime.bigint();
      await post();
      samples.push(Number(process.hrtime.bigint() - start));
    }
    return summarize(samples);
  } finally {
    server.close();
  }
}

const µs = (x: number) => `${x.toFixed(1).padStart(7)} µs`;

export async function run(): Promise<void> {
  const plain = createRedactor();
  const keyed = createRedactor({
    pseudonymizationKey: "bench-key-0123456789abcdef0123456789",
    extraPaths: ["data.private_metadata", "data.email_addresses.*.email_address"],
  });

  const rows: [string, Figures][] = [];
  for (const name of ["email.created", "session.created"]) {
    const event = clerkFixture(name);
    rows.push([`${name}: redact (defaults)`, measure(() => plain(event))]);
    rows.push([`${name}: redact + pseudonymise + 2 extra paths`, measure(() => keyed(event))]);
    rows.push([`${name}: JSON.stringify (paid anyway)`, measure(() => JSON.stringify(event))]);
  }
  const roundTrip = await measureLocalRoundTrip();

  const width = Math.max(...rows.map(([label]) => label.length), 40);
  process.stdout.write(`${"per event".padEnd(width)}     mean        p99\n`);
  for (const [label, f] of rows) process.stdout.write(`${label.padEnd(width)} ${µs(f.mean)} ${µs(f.p99)}\n`);
  process.stdout.write(
    `${"reference: keep-alive POST to 127.0.0.1".padEnd(width)} ${µs(roundTrip.mean)} ${µs(roundTrip.p99)}\n`,
  );
  const worst = Math.max(...rows.filter(([l]) => l.includes("redact")).map(([, f]) => f.mean));
  process.stdout.write(
    `\ntarget: must not move the warm per-event figure noticeably — worst redaction mean is ` +
      `${((worst / roundTrip.mean) * 100).toFixed(1)}% of a local round trip (a real Tinybird call is ` +
      "tens of ms, so far less of the warm figure)\n",
  );
}
