/**
 * Signature verification as Clerk (through Svix) exercises it: signatures made by the real svix
 * library and the Standard Webhooks test vector, checked against svix's own clock (Date.now, which
 * the fake-Date tests move), rotations, base64 bodies, header spellings, and the requests that must
 * be refused before anything reaches Tinybird.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { MAX_BODY_BYTES } from "../../lambda/request";
import {
  apiGatewayEvent,
  clerkFixture,
  ROTATED_SIGNING_SECRET,
  SIGNING_SECRET,
  signedEvent,
} from "../support/forwarder-stubs";
import { bodyOf, type Harness, START, startHarness } from "./harness";

// https://github.com/standard-webhooks/standard-webhooks, libraries/*/ (the sign test): this
// secret, id, timestamp and payload sign to this signature in every implementation.
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
  // Other entries the vectors' multi-signature case puts around the valid one.
  otherSignatures: [
    "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
    "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
  ],
};

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
afterEach(() => {
  vi.useRealTimers();
  h.tinybird.requests.length = 0;
});

function vectorEvent(
  headers: Partial<Record<"id" | "timestamp" | "signature", string>> = {},
  prefix = "svix",
) {
  return apiGatewayEvent(VECTOR.payload, {
    [`${prefix}-id`]: headers.id ?? VECTOR.id,
    [`${prefix}-timestamp`]: headers.timestamp ?? String(VECTOR.timestamp),
    [`${prefix}-signature`]: headers.signature ?? VECTOR.signature,
  });
}

function atVectorTime(offsetSeconds = 0) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime((VECTOR.timestamp + offsetSeconds) * 1000);
}

describe("the Standard Webhooks test vector", () => {
  it("is accepted and forwarded with the message id and receipt time", async () => {
    atVectorTime();
    const result = await h.handler(vectorEvent());
    expect(result.statusCode).toBe(200);
    expect(h.tinybird.requests).toHaveLength(1);
    // The vector's payload carries no Clerk timestamp: its event_time is the receipt time.
    expect(JSON.parse(h.tinybird.requests[0]!.text)).toEqual({
      test: 2432232314,
      event_id: VECTOR.id,
      event_time: new Date(START).toISOString(),
      received_at: new Date(START).toISOString(),
    });
  });

  it("is accepted under the Standard Webhooks header names (webhook-id, …)", async () => {
    atVectorTime();
    expect((await h.handler(vectorEvent({}, "webhook"))).statusCode).toBe(200);
  });

  it("is accepted when its signature is one of several, beside unknown versions", async () => {
    atVectorTime();
    const signature = [VECTOR.otherSignatures[0], VECTOR.otherSignatures[1], VECTOR.signature].join(" ");
    expect((await h.handler(vectorEvent({ signature }))).statusCode).toBe(200);
  });

  it("answers 401 to the other signatures alone, or a truncated one", async () => {
    atVectorTime();
    for (const signature of [VECTOR.otherSignatures.join(" "), VECTOR.signature.slice(0, 8), "v1,"]) {
      const result = await h.handler(vectorEvent({ signature }));
      expect(result.statusCode).toBe(401);
      expect(bodyOf(result).code).toBe("signature_mismatch");
    }
    expect(h.tinybird.requests).toHaveLength(0);
  });

  it("answers 401 when one byte of the body differs from what was signed", async () => {
    atVectorTime();
    const tampered = apiGatewayEvent(VECTOR.payload.replace("2432232314", "2432232315"), {
      "svix-id": VECTOR.id,
      "svix-timestamp": String(VECTOR.timestamp),
      "svix-signature": VECTOR.signature,
    });
    expect((await h.handler(tampered)).statusCode).toBe(401);
    expect(h.tinybird.requests).toHaveLength(0);
  });
});

describe("the ±5 minute tolerance, on svix's clock", () => {
  it.each([
    [-300, 200],
    [300, 200],
  ])("accepts a timestamp %i s from now", async (skew, status) => {
    atVectorTime(-skew);
    expect((await h.handler(vectorEvent())).statusCode).toBe(status);
  });

  it.each([-301, 301, -3600])("answers 401 to a timestamp %i s from now", async (skew) => {
    atVectorTime(-skew);
    const result = await h.handler(vectorEvent());
    expect(result.statusCode).toBe(401);
    expect(bodyOf(result).code).toBe("timestamp_out_of_tolerance");
    expect(h.tinybird.requests).toHaveLength(0);
  });

  it("answers 401 to a timestamp that is not a number", async () => {
    atVectorTime();
    expect((await h.handler(vectorEvent({ timestamp: "yesterday" }))).statusCode).toBe(401);
  });
});

describe("signatures made by svix's Webhook.sign", () => {
  const event = clerkFixture("user.created");

  it("verifies a body API Gateway hands over base64-encoded, on the decoded bytes", async () => {
    const withUnicode = { ...event, data: { ...(event.data as object), first_name: "Zoë 名前" } };
    const request = signedEvent(withUnicode, { base64: true });
    expect(request.isBase64Encoded).toBe(true);
    expect((await h.handler(request)).statusCode).toBe(200);
    expect(JSON.parse(h.tinybird.requests[0]!.text).data.first_name).toBe("Zoë 名前");
  });

  it("matches header names in any case", async () => {
    expect((await h.handler(signedEvent(event, { headerCase: "title" }))).statusCode).toBe(200);
  });

  it("accepts either secret while a rotation sends two signatures", async () => {
    const both = signedEvent(event, { secrets: [ROTATED_SIGNING_SECRET, SIGNING_SECRET] });
    expect((await h.handler(both)).statusCode).toBe(200);
  });

  it("answers 401 to a signature made with another secret", async () => {
    const result = await h.handler(signedEvent(event, { secret: ROTATED_SIGNING_SECRET }));
    expect(result.statusCode).toBe(401);
    expect(h.tinybird.requests).toHaveLength(0);
  });

  it("answers 401 when the body was re-serialised after signing", async () => {
    const signed = signedEvent(event);
    const reformatted = { ...signed, body: JSON.stringify(JSON.parse(signed.body!), null, 2) };
    expect((await h.handler(reformatted)).statusCode).toBe(401);
  });
});

describe("requests refused before verification", () => {
  const event = clerkFixture("session.created");

  it.each(["svix-id", "svix-timestamp", "svix-signature"])("answers 400 without %s", async (header) => {
    const signed = signedEvent(event);
    delete signed.headers[header];
    const result = await h.handler(signed);
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toEqual({ code: "missing_headers", message: expect.stringContaining(header) });
  });

  it.each(["GET", "PUT", "OPTIONS"])("answers 405 with Allow: POST to %s", async (method) => {
    const result = await h.handler(signedEvent(event, { method }));
    expect(result.statusCode).toBe(405);
    expect(result.headers).toMatchObject({ allow: "POST" });
  });

  it("answers 413 to a body over the limit, plain or base64, and 200 at the limit", async () => {
    const padded = (bytes: number) => {
      const base = JSON.stringify({ ...event, padding: "" });
      return JSON.stringify({ ...event, padding: "x".repeat(bytes - base.length) });
    };
    expect((await h.handler(signedEvent(padded(MAX_BODY_BYTES + 1)))).statusCode).toBe(413);
    expect((await h.handler(signedEvent(padded(MAX_BODY_BYTES + 1), { base64: true }))).statusCode).toBe(413);
    expect((await h.handler(signedEvent(padded(MAX_BODY_BYTES), { base64: true }))).statusCode).toBe(200);
  });
});

describe("verified bodies that are not a Clerk event", () => {
  it.each([
    ["not JSON", "user.created but not JSON"],
    ["a JSON array", "[1,2,3]"],
    ["JSON null", "null"],
    ["a JSON string", '"user.created"'],
  ])("answers 400 to %s and forwards nothing", async (_, body) => {
    const result = await h.handler(signedEvent(body));
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result).code).toBe("invalid_payload");
    expect(h.tinybird.requests).toHaveLength(0);
  });

  it("answers 401, not 400, to an unsigned body that is not JSON", async () => {
    const forged = apiGatewayEvent("not json", {
      "svix-id": "msg_x",
      "svix-timestamp": String(Math.floor(Date.now() / 1000)),
      "svix-signature": "v1,AAAA",
    });
    expect((await h.handler(forged)).statusCode).toBe(401);
  });
});
