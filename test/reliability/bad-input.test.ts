/**
 * Bad input, property-based: the handler (built by its factory with in-memory stand-ins: a counting
 * secret source behind the real per-container cache, a Tinybird client that records every append)
 * gets arbitrary and adversarial requests. Each case is built with one defect, and the status it
 * must get follows from that defect, never from the handler: 405 a method other than POST, 400 a
 * missing signature header, 413 a body over the limit, 401 any signature or timestamp that is not
 * the one Svix would send, 400 a verified body that is not a JSON object. For every case nothing
 * escapes as a throw, one log line is written, and nothing reaches Tinybird. Signatures come from
 * node:crypto (svix-signing.ts), not from the svix package the forwarder verifies with.
 * Seeded: RELIABILITY_SEED=<n> runs another sample; a failure prints fast-check's seed and path.
 */
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { eventRow } from "../../lambda/event-row";
import type { OutcomeKind } from "../../lambda/outcome";
import { createRedactor } from "../../lambda/redaction";
import { MAX_BODY_BYTES } from "../../lambda/request";
import { toApiGatewayEvent } from "../../local/api-gateway-adapter";
import { clerkFixture, SIGNING_SECRET, signedEvent, TINYBIRD_TOKEN } from "../support/forwarder-stubs";
import { inMemoryForwarder } from "./in-memory-forwarder";
import { LeakWatch } from "./leaks";
import { EVENT_TYPES, personalEvent } from "./payloads";
import { seedFromEnv } from "./seeded";
import { newSigningSecret, signatureOf } from "./svix-signing";

const SEED = seedFromEnv();
/** Runs per property: seven properties at this count and the oversized one make at least 10,000 cases. */
const RUNS = 1_450;
/** Oversized bodies cost a 300 KB HMAC each: fewer of them. */
const OVERSIZED_RUNS = 200;
const MIN_CASES = 10_000;
const NOW_MS = Date.UTC(2026, 10, 24, 9, 0, 0);
const NOW_S = NOW_MS / 1000;
const TOLERANCE_S = 300;
const SOURCE_IP = "198.51.100.23";

// --- the handler under test, with in-memory stand-ins --------------------------------------------

const watch = new LeakWatch();
const {
  handler,
  appended,
  logs: logLines,
  secretReads,
} = inMemoryForwarder({ now: () => NOW_MS, onLogLine: (line) => watch.output("log", line) });
watch.secret(SIGNING_SECRET, TINYBIRD_TOKEN);
watch.personalValue(SOURCE_IP);

const redact = createRedactor({ extraPaths: [] });
/** The line Tinybird must get for a forwarded body: the redacted event, its id, its receipt time. */
const expectedLine = (body: Buffer, id: string): Record<string, unknown> =>
  eventRow(redact(JSON.parse(body.toString("utf8")) as Record<string, unknown>), id, NOW_MS);
const tally = { cases: 0, byStatus: new Map<number, number>() };

beforeAll(() => {
  // svix checks the timestamp against Date.now(): pin it, so tolerance edges are exact.
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW_MS);
  process.stdout.write(`bad input: seed ${SEED}, ${RUNS} cases per property\n`);
});
afterAll(() => {
  vi.useRealTimers();
});

// --- requests as data --------------------------------------------------------------------------

type Part = "id" | "timestamp" | "signature";
const PARTS: readonly Part[] = ["id", "timestamp", "signature"];

/** A request before it becomes an API Gateway event: headers in order, as [name, value] pairs. */
interface Request {
  method: string;
  headers: [string, string][];
  body: Buffer;
  base64: boolean;
}

/** What the case's construction says the answer must be. */
interface Expected {
  status: number;
  code: OutcomeKind;
}

interface Case {
  request: Request;
  expected: Expected;
  /** Signatures (base64) the request was built with: none may be printed. */
  signatures: string[];
  /** For a forwarded case, the one line Tinybird must get. */
  line?: Record<string, unknown>;
  /** Fields the log line must carry besides outcome and status. */
  log?: Record<string, unknown>;
}

interface Genuine {
  id: string;
  timestamp: number;
  body: Buffer;
  base64: boolean;
  prefix: "svix" | "webhook";
  /** Bit i upper-cases character i of each header name. */
  caseMask: number;
}

function headerName(part: Part, prefix: string, caseMask: number): string {
  return [...`${prefix}-${part}`].map((c, i) => ((caseMask >> (i % 30)) & 1 ? c.toUpperCase() : c)).join("");
}

function genuineSignature(g: Pick<Genuine, "id" | "timestamp" | "body">): string {
  return signatureOf(SIGNING_SECRET, g.id, g.timestamp, g.body);
}

/** The request Svix would send, with header values overridden part by part. */
function requestOf(g: Genuine, values: Partial<Record<Part, string>> = {}, method = "POST"): Request {
  const all: Record<Part, string> = {
    id: g.id,
    timestamp: String(g.timestamp),
    signature: `v1,${genuineSignature(g)}`,
    ...values,
  };
  return {
    method,
    headers: PARTS.map((part) => [headerName(part, g.prefix, g.caseMask), all[part]]),
    body: g.body,
    base64: g.base64,
  };
}

function toEvent(request: Request): APIGatewayProxyEventV2 {
  const event = toApiGatewayEvent({ method: "POST", url: "/", sourceIp: SOURCE_IP, now: NOW_MS });
  const headers: Record<string, string> = {
    "content-type": request.base64 ? "application/octet-stream" : "application/json",
    "user-agent": "Svix-Webhooks/1.99",
  };
  for (const [name, value] of request.headers) headers[name] = value;
  event.headers = headers;
  event.requestContext.http.method = request.method;
  event.requestContext.requestId = randomUUID();
  if (request.body.length > 0) {
    event.body = request.base64 ? request.body.toString("base64") : request.body.toString("utf8");
  }
  event.isBase64Encoded = request.base64;
  return event;
}

// --- arbitraries ---------------------------------------------------------------------------------

const idArb = fc.stringMatching(/^msg_[A-Za-z0-9]{8,27}$/);
const utf8 = (text: string) => Buffer.from(text, "utf8");

/** A Clerk event as Clerk sends it (one of the 45 fixtures, with its own addresses planted). */
const clerkBodyArb = fc
  .record({ type: fc.constantFrom(...EVENT_TYPES), n: fc.nat(9_999) })
  .map(({ type, n }) => utf8(JSON.stringify(personalEvent(type, n, NOW_MS).event)));
/** Any JSON object, including odd keys (`__proto__`, empty, non-ASCII). */
const objectBodyArb = fc
  .dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }))
  .map((o) => utf8(JSON.stringify(o)));
const objectBody = fc.oneof({ weight: 3, arbitrary: clerkBodyArb }, { weight: 1, arbitrary: objectBodyArb });

/** Any bytes a body could carry within the limit, including text that is not UTF-8. */
const anyBodyArb = fc.oneof(
  objectBody,
  fc.string({ unit: "binary", maxLength: 300 }).map(utf8),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
);

function genuineArb(body: fc.Arbitrary<Buffer> = objectBody): fc.Arbitrary<Genuine> {
  return fc.record({
    id: idArb,
    timestamp: fc.integer({ min: NOW_S - TOLERANCE_S, max: NOW_S + TOLERANCE_S }),
    body,
    base64: fc.boolean(),
    prefix: fc.constantFrom("svix" as const, "webhook" as const),
    caseMask: fc.nat(),
  });
}

function isUtf8(bytes: Buffer): boolean {
  return Buffer.compare(utf8(bytes.toString("utf8")), bytes) === 0;
}

/** Text bodies must be text: bytes that are not UTF-8 can only arrive base64-encoded. */
const deliverable = (g: Genuine): Genuine => (isUtf8(g.body) ? g : { ...g, base64: true });

function isJsonObjectText(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

// --- running a case ------------------------------------------------------------------------------

async function check(c: Case): Promise<void> {
  const appendsBefore = appended.length;
  const linesBefore = logLines.length;
  for (const s of c.signatures) watch.signature(s);
  for (const [name, value] of c.request.headers) {
    if (name.toLowerCase().endsWith("-signature")) watch.signatureHeader(value);
  }
  watch.input(c.request.body);

  let result: Awaited<ReturnType<typeof handler>>;
  try {
    result = await handler(toEvent(c.request));
  } catch (error) {
    throw new Error(`a throw escaped the handler: ${String(error)}`);
  }
  watch.output("answer body", result.body ?? "");
  tally.cases += 1;
  tally.byStatus.set(result.statusCode ?? 0, (tally.byStatus.get(result.statusCode ?? 0) ?? 0) + 1);

  expect(result.statusCode).toBe(c.expected.status);
  expect(JSON.parse(result.body ?? "")).toEqual({ code: c.expected.code, message: expect.any(String) });
  if (c.expected.status === 405) expect(result.headers).toMatchObject({ allow: "POST" });
  if (c.expected.status < 500) expect(result.headers?.["retry-after"]).toBeUndefined();
  expect(logLines.length - linesBefore).toBe(1);
  expect(logLines.at(-1)).toMatchObject({ outcome: c.expected.code, status: c.expected.status, ...c.log });
  if (c.expected.status === 200) {
    expect(appended.length - appendsBefore).toBe(1);
    expect(JSON.parse(appended.at(-1)!)).toEqual(c.line);
  } else {
    expect(appended.length - appendsBefore).toBe(0);
  }
}

const property = <T>(arb: fc.Arbitrary<T>, toCase: (value: T) => Case, numRuns = RUNS) =>
  fc.assert(
    fc.asyncProperty(arb, (value) => check(toCase(value))),
    { seed: SEED, numRuns },
  );

const rejected = (status: number, code: OutcomeKind, request: Request, signatures: string[] = []): Case => ({
  request,
  expected: { status, code },
  signatures,
});

// --- the properties ------------------------------------------------------------------------------

describe("bad input never reaches Tinybird and gets the 4xx its defect calls for", () => {
  it("405 for every method but POST, whatever else the request carries", async () => {
    const method = fc.oneof(
      fc.constantFrom("GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "", " POST"),
      fc.string({ maxLength: 12 }).filter((m) => m.toUpperCase() !== "POST"),
    );
    await property(fc.record({ g: genuineArb(anyBodyArb), method }), ({ g, method }) =>
      rejected(405, "method_not_allowed", requestOf(deliverable(g), {}, method), [genuineSignature(g)]),
    );
  });

  it("400 when any signature header is missing or empty (and no webhook-* twin stands in)", async () => {
    const missing = fc.subarray([...PARTS], { minLength: 1 });
    await property(
      fc.record({ g: genuineArb(anyBodyArb), missing, empty: fc.boolean() }),
      ({ g, missing, empty }) => {
        const request = requestOf(deliverable(g));
        request.headers = request.headers
          .map(([name, value]): [string, string] =>
            missing.some((part) => name.toLowerCase().endsWith(`-${part}`)) ? [name, ""] : [name, value],
          )
          .filter(([, value]) => empty || value !== "");
        const named = PARTS.filter((part) => missing.includes(part)).map((part) => `svix-${part}`);
        return {
          ...rejected(400, "missing_headers", request, [genuineSignature(g)]),
          log: { missing: named.join(",") },
        };
      },
    );
  });

  it("413 for a body over the limit, signed or not, as text or base64", async () => {
    const oversized = fc
      .record({ extra: fc.integer({ min: 1, max: 64 * 1024 }), fill: fc.constantFrom("a", "é", "\u{1F600}") })
      .map(({ extra, fill }) => {
        const filler = fill.repeat(Math.ceil((MAX_BODY_BYTES + extra) / Buffer.byteLength(fill)));
        return utf8(`{"type":"user.created","data":{"note":"${filler}"}}`);
      });
    const arb = fc.record({ g: genuineArb(oversized), signed: fc.boolean() });
    await property(
      arb,
      ({ g, signed }) => {
        expect(g.body.length).toBeGreaterThan(MAX_BODY_BYTES);
        const other = signatureOf(newSigningSecret(), g.id, g.timestamp, g.body);
        const values = signed ? {} : { signature: `v1,${other}` };
        return rejected(413, "payload_too_large", requestOf(g, values), [genuineSignature(g)]);
      },
      OVERSIZED_RUNS,
    );
  });

  it.each([
    [false, 0, 200],
    [true, 0, 200],
    [false, 1, 413],
    [true, 1, 413],
    [true, 2, 413],
  ])("at the limit: base64 %s, %i byte(s) over answers %i", async (base64, over, status) => {
    const head = '{"type":"user.created","data":{"note":"';
    const tail = '"}}';
    const body = utf8(`${head}${"a".repeat(MAX_BODY_BYTES + over - head.length - tail.length)}${tail}`);
    const g: Genuine = { id: "msg_atTheLimit", timestamp: NOW_S, body, base64, prefix: "svix", caseMask: 0 };
    await check({
      request: requestOf(g),
      expected: status === 200 ? { status, code: "forwarded" } : { status, code: "payload_too_large" },
      signatures: [genuineSignature(g)],
      line: expectedLine(body, g.id),
    });
  });

  it("401 for every forged, replayed, altered or malformed signature", async () => {
    const forgery = fc.oneof(
      // Signed with another secret (one or several signatures, as during a rotation).
      fc
        .array(fc.uint8Array({ minLength: 16, maxLength: 32 }), { minLength: 1, maxLength: 3 })
        .map((keys) => ({ kind: "other secret" as const, keys })),
      // A captured delivery replayed under a new timestamp, its old signature kept.
      fc
        .record({
          signedAgo: fc.integer({ min: 1, max: 86_400 }),
          sentAt: fc.integer({ min: -TOLERANCE_S, max: TOLERANCE_S }),
        })
        .map((r) => ({ kind: "replayed" as const, ...r })),
      // The body altered by one byte, or cut short, after signing.
      fc
        .record({ at: fc.nat(), byte: fc.integer({ min: 1, max: 255 }) })
        .map((r) => ({ kind: "byte altered" as const, ...r })),
      fc.nat().map((cut) => ({ kind: "truncated" as const, cut })),
      // Signed for another message id.
      idArb.map((otherId) => ({ kind: "other id" as const, otherId })),
      // The signature header malformed around a genuine value, or junk.
      fc
        .oneof(
          fc.constantFrom("v2,{}", "{}", "v1, {}", "V1,{}", "v1,{}~", "v1,{-2}", "v1:{}", "v1;{}", "{}=v1"),
          fc.string({ minLength: 1, maxLength: 60 }).filter((s) => !s.includes("{")),
        )
        .map((template) => ({ kind: "malformed signature" as const, template })),
      // A timestamp that is not a decimal number.
      fc
        .stringMatching(/^[A-Za-z_.:#][ -~]{0,15}$/)
        .map((timestamp) => ({ kind: "timestamp not a number" as const, timestamp })),
      // A header repeated with a forged value where the forged one is what gets read.
      fc
        .record({
          part: fc.constantFrom(...PARTS),
          joined: fc.boolean(),
          shift: fc.integer({ min: 1, max: TOLERANCE_S }),
        })
        .map((r) => ({ kind: "duplicated header" as const, ...r })),
      // Bytes that are not UTF-8, signed as bytes: Svix signs text, so no delivery looks like this.
      fc
        .record({ bytes: fc.uint8Array({ maxLength: 200 }), at: fc.nat() })
        .map((r) => ({ kind: "not UTF-8" as const, ...r })),
    );

    await property(fc.record({ g: genuineArb(anyBodyArb), forgery }), ({ g: drawn, forgery: f }) => {
      let g = deliverable(drawn);
      const genuine = genuineSignature(g);
      let values: Partial<Record<Part, string>> = {};
      const signatures = [genuine];
      switch (f.kind) {
        case "other secret":
          values.signature = f.keys
            .map((key) => `v1,${signatureOf(newSigningSecret(key), g.id, g.timestamp, g.body)}`)
            .join(" ");
          break;
        case "replayed": {
          const signedAt = NOW_S + f.sentAt - f.signedAgo;
          const old = signatureOf(SIGNING_SECRET, g.id, signedAt, g.body);
          signatures.push(old);
          values = { timestamp: String(NOW_S + f.sentAt), signature: `v1,${old}` };
          break;
        }
        case "byte altered": {
          fc.pre(g.body.length > 0);
          const altered = Buffer.from(g.body);
          const at = f.at % altered.length;
          altered[at] = (altered[at]! + f.byte) % 256;
          // What the forwarder verifies is the body as UTF-8 text: the change must show there.
          fc.pre(altered.toString("utf8") !== g.body.toString("utf8"));
          values.signature = `v1,${genuine}`;
          g = { ...g, body: altered, base64: g.base64 || !isUtf8(altered) };
          break;
        }
        case "truncated": {
          fc.pre(g.body.length > 0);
          const cut = g.body.subarray(0, f.cut % g.body.length);
          fc.pre(cut.toString("utf8") !== g.body.toString("utf8"));
          values.signature = `v1,${genuine}`;
          g = { ...g, body: cut, base64: g.base64 || !isUtf8(cut) };
          break;
        }
        case "other id":
          fc.pre(f.otherId !== g.id);
          values.signature = `v1,${signatureOf(SIGNING_SECRET, f.otherId, g.timestamp, g.body)}`;
          signatures.push(values.signature.slice(3));
          break;
        case "malformed signature": {
          const changed = genuine.startsWith("A") ? `B${genuine.slice(1)}` : `A${genuine.slice(1)}`;
          values.signature = f.template
            .replace("{-2}", genuine.slice(0, -2))
            .replace("{}~", changed)
            .replace("{}", genuine);
          break;
        }
        case "timestamp not a number":
          values.timestamp = f.timestamp;
          break;
        case "duplicated header": {
          const forged: Record<Part, string> = {
            id: `${g.id}x`,
            // Moved towards now, so it stays within the tolerance: only the signature can fail.
            timestamp: String(g.timestamp > NOW_S ? g.timestamp - f.shift : g.timestamp + f.shift),
            signature: `v1,${signatureOf(newSigningSecret(), g.id, g.timestamp, g.body)}`,
          };
          const request = requestOf(g);
          const index = PARTS.indexOf(f.part);
          const [name, value] = request.headers[index]!;
          if (f.joined) {
            // API Gateway joins a repeated header with commas; svix reads the first value.
            request.headers[index] = [name, `${forged[f.part]},${value}`];
          } else {
            // A caller that is not API Gateway: two spellings, the later one read.
            request.headers.push([
              name === name.toUpperCase() ? name.toLowerCase() : name.toUpperCase(),
              forged[f.part],
            ]);
          }
          return rejected(401, "signature_mismatch", request, signatures);
        }
        case "not UTF-8": {
          const bytes = Buffer.from(f.bytes);
          const body = Buffer.concat([
            bytes.subarray(0, f.at % (bytes.length + 1)),
            Buffer.from([0xff]),
            bytes.subarray(f.at % (bytes.length + 1)),
          ]);
          const signature = signatureOf(SIGNING_SECRET, g.id, g.timestamp, body);
          signatures.push(signature);
          g = { ...g, body, base64: true };
          values.signature = `v1,${signature}`;
          break;
        }
      }
      return rejected(401, "signature_mismatch", requestOf(g, values), signatures);
    });
  });

  it("401 for a genuine signature whose timestamp is more than 5 minutes off, however far", async () => {
    const skew = fc.oneof(
      fc.integer({ min: TOLERANCE_S + 1, max: 10 * 365 * 86_400 }),
      fc.integer({ min: -10 * 365 * 86_400, max: -(TOLERANCE_S + 1) }),
    );
    const absolute = fc.constantFrom(0, 1, -1, 2 ** 31, NOW_MS, NOW_MS * 1000, -NOW_S);
    const timestamp = fc.oneof(
      skew.map((s) => NOW_S + s),
      absolute,
    );
    await property(fc.record({ g: genuineArb(), timestamp }), ({ g: drawn, timestamp }) => {
      const g = { ...deliverable(drawn), timestamp };
      return rejected(401, "timestamp_out_of_tolerance", requestOf(g), [genuineSignature(g)]);
    });
  });

  it("400 for a verified body that is not a JSON object: arrays, scalars, truncated or broken JSON, nothing", async () => {
    const notAnObject = fc.oneof(
      fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }).map((a) => JSON.stringify(a)),
      fc
        .oneof(fc.double(), fc.integer(), fc.string(), fc.boolean(), fc.constant(null))
        .map((v) => JSON.stringify(v) ?? "null"),
      fc
        .record({ body: clerkBodyArb, cut: fc.nat() })
        .map(({ body, cut }) => body.toString("utf8").slice(0, cut % body.length)),
      clerkBodyArb.map((body) => `\uFEFF${body.toString("utf8")}`),
      clerkBodyArb.map((body) => `${body.toString("utf8")}}`),
      fc.constantFrom("", " ", "NaN", "undefined", "{'a':1}", "{a:1}", '{"a":1,}', "[{}]", '"{}"'),
      fc.string({ unit: "binary", maxLength: 200 }).filter((s) => !isJsonObjectText(s)),
    );
    await property(fc.record({ g: genuineArb(notAnObject.map(utf8)) }), ({ g: drawn }) => {
      const g = deliverable(drawn);
      expect(isJsonObjectText(g.body.toString("utf8"))).toBe(false);
      return rejected(400, "invalid_payload", requestOf(g), [genuineSignature(g)]);
    });
  });

  it("the 4xx the precedence gives for random requests: method, then headers, then size, then signature", async () => {
    const headerValue = fc.oneof(
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `v1,${Buffer.from(b).toString("base64")}`),
      fc.integer({ min: NOW_S - 1_000, max: NOW_S + 1_000 }).map(String),
    );
    const present = fc.record({ id: fc.boolean(), timestamp: fc.boolean(), signature: fc.boolean() });
    const others = fc.array(
      fc.tuple(
        fc.string({ minLength: 1, maxLength: 20 }).filter((n) => !/^(svix|webhook)-/i.test(n)),
        fc.string({ maxLength: 40 }),
      ),
      { maxLength: 4 },
    );
    const random = fc.record({
      method: fc.oneof(fc.constant("POST"), fc.string({ maxLength: 8 })),
      present,
      values: fc.record({ id: headerValue, timestamp: headerValue, signature: headerValue }),
      prefix: fc.constantFrom("svix", "webhook", "Svix", "WEBHOOK"),
      others,
      body: anyBodyArb,
      base64: fc.boolean(),
    });
    await property(random, (r) => {
      const headers: [string, string][] = r.others.map(([n, v]) => [n, v]);
      for (const part of PARTS) if (r.present[part]) headers.push([`${r.prefix}-${part}`, r.values[part]]);
      const request: Request = {
        method: r.method,
        headers,
        body: r.body,
        base64: r.base64 || !isUtf8(r.body),
      };
      const parsed = Number.parseInt(r.values.timestamp, 10);
      const expected: Expected =
        r.method.toUpperCase() !== "POST"
          ? { status: 405, code: "method_not_allowed" }
          : !PARTS.every((part) => r.present[part])
            ? { status: 400, code: "missing_headers" }
            : Number.isFinite(parsed) && Math.abs(parsed - NOW_S) > TOLERANCE_S
              ? { status: 401, code: "timestamp_out_of_tolerance" }
              : { status: 401, code: "signature_mismatch" };
      return { request, expected, signatures: [] };
    });
  });
});

describe("the same handler forwards what Svix really sends (the control: the counts above can move)", () => {
  it("200 and exactly the redacted event as one line, whatever the header case, encoding or extra signatures", async () => {
    const extras = fc.array(fc.uint8Array({ minLength: 16, maxLength: 32 }), { maxLength: 2 });
    const repeat = fc.constantFrom("none", "timestamp", "signature");
    const arb = fc.record({ g: genuineArb(), extras, genuineAt: fc.nat(), repeat });
    await property(arb, ({ g: drawn, extras, genuineAt, repeat }) => {
      const g = deliverable(drawn);
      const genuine = genuineSignature(g);
      const sent = extras.map((key) => `v1,${signatureOf(newSigningSecret(key), g.id, g.timestamp, g.body)}`);
      sent.splice(genuineAt % (sent.length + 1), 0, `v1,${genuine}`);
      const values: Partial<Record<Part, string>> = { signature: sent.join(" ") };
      // A proxy repeating a header with the same value: API Gateway joins the two with a comma.
      if (repeat === "timestamp") values.timestamp = `${g.timestamp},${g.timestamp}`;
      if (repeat === "signature") values.signature = `${values.signature},${values.signature}`;
      return {
        request: requestOf(g, values),
        expected: { status: 200, code: "forwarded" },
        signatures: [genuine],
        line: expectedLine(g.body, g.id),
      };
    });
  });
});

describe("secret-shaped values inside a genuine delivery (the value detectors)", () => {
  it("200 and stored, with none of the secret in the line, whatever its field's name or the text around it", async () => {
    const b64url = fc.stringMatching(/^[A-Za-z0-9_-]{10,40}$/);
    const alnum = fc.stringMatching(/^[A-Za-z0-9]{24,40}$/);
    const secret = fc.oneof(
      fc.tuple(b64url, b64url, b64url).map(([h, p, sig]) => `eyJ${h}.eyJ${p}.${sig}`),
      fc
        .tuple(
          fc.constantFrom("sk_live_", "sk_test_", "rk_live_", "whsec_", "ghp_", "gho_", "github_pat_"),
          alnum,
        )
        .map(([prefix, body]) => prefix + body),
      fc.tuple(fc.constantFrom("xoxb-", "xoxa-", "xoxp-"), alnum).map(([prefix, body]) => prefix + body),
      fc.stringMatching(/^[A-Z0-9]{16}$/).map((body) => `AKIA${body}`),
      alnum.map((body) => `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`),
    );
    const word = fc.stringMatching(/^[a-z]{1,8}$/);
    const arb = fc.record({
      secret,
      key: fc.constantFrom("note", "data", "misc", "x", "comment", "blob", "ref"),
      where: fc.constantFrom("unsafe_metadata", "public_metadata"),
      before: fc.array(word, { maxLength: 3 }),
      after: fc.array(word, { maxLength: 3 }),
      inLink: fc.boolean(),
    });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(arb, async ({ secret, key, where, before, after, inLink }) => {
        const carried = inLink ? `https://app.example.com/continue/${secret}` : secret;
        const text = [...before, carried, ...after].join(" ");
        const user = clerkFixture("user.updated");
        const event = { ...user, data: { ...(user.data as object), [where]: { [key]: text } } };
        const id = `msg_secretValue${n++}`;
        watch.input(secret);
        const result = await handler(signedEvent(event, { id, signedAt: new Date(NOW_MS) }));
        tally.cases += 1;
        const status = result.statusCode ?? 0;
        tally.byStatus.set(status, (tally.byStatus.get(status) ?? 0) + 1);
        expect(status).toBe(200);
        const line = appended.at(-1)!;
        expect(JSON.parse(line).event_id).toBe(id);
        expect(line).not.toContain(secret.replace(/\n/g, "\\n"));
        // The words around it are kept: only the credential goes.
        for (const w of [...before, ...after]) expect(line).toContain(w);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });
});

it(`ran at least ${MIN_CASES.toLocaleString("en")} generated cases, and a flood of forgeries cost at most one extra secret read`, () => {
  process.stdout.write(
    `bad input: ${tally.cases} cases (seed ${SEED}); statuses ${JSON.stringify(Object.fromEntries(tally.byStatus))}; secret reads ${secretReads()}\n`,
  );
  expect(tally.cases).toBeGreaterThanOrEqual(MIN_CASES);
  expect(secretReads()).toBeLessThanOrEqual(2);
});

it("printed no secret, signature, e-mail or IP address from the inputs in any log line or answer body", () => {
  expect(watch.outputCount).toBeGreaterThanOrEqual(2 * MIN_CASES);
  expect(watch.find()).toEqual([]);
});
