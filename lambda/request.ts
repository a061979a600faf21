/**
 * Reads an API Gateway HTTP API (payload 2.0) event into what verification needs: the method, the
 * three signature headers, and the exact raw body. Nothing here trusts the request.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { RequestOutcome } from "./outcome";

/** The one path Clerk delivers to: the stack's route, and the local servers' (`…/webhooks/clerk`). */
export const WEBHOOK_PATH = "/webhooks/clerk";

/** Clerk events are a few KB; 256 KiB leaves room for large metadata and bounds the HMAC work. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface SignedRequest {
  /** The message id (the dedup key), from `svix-id` or `webhook-id`. */
  id: string;
  timestamp: string;
  signature: string;
  /** The body exactly as sent, as UTF-8 text (what Svix signed). */
  body: string;
}

export type RequestRead = { ok: true; request: SignedRequest } | { ok: false; outcome: RequestOutcome };

const SIGNATURE_HEADERS = ["id", "timestamp", "signature"] as const;

export function readSignedRequest(event: APIGatewayProxyEventV2, maxBytes = MAX_BODY_BYTES): RequestRead {
  const method = event.requestContext?.http?.method ?? "";
  if (method.toUpperCase() !== "POST") return { ok: false, outcome: { kind: "method_not_allowed", method } };

  const headers = lowerCaseHeaders(event.headers);
  const values: Partial<Record<(typeof SIGNATURE_HEADERS)[number], string>> = {};
  const missing: string[] = [];
  for (const name of SIGNATURE_HEADERS) {
    // The precedence svix applies: the svix-* name, else the Standard Webhooks webhook-* name.
    const value = headers[`svix-${name}`] ?? headers[`webhook-${name}`];
    if (value) values[name] = value;
    else missing.push(`svix-${name}`);
  }
  if (missing.length > 0) return { ok: false, outcome: { kind: "missing_headers", missing } };

  const sent = event.body ?? "";
  // Measured before decoding, so an oversized body costs no allocation.
  const bytes = event.isBase64Encoded
    ? Math.floor((sent.length * 3) / 4) - (sent.endsWith("==") ? 2 : sent.endsWith("=") ? 1 : 0)
    : Buffer.byteLength(sent, "utf8");
  if (bytes > maxBytes) return { ok: false, outcome: { kind: "payload_too_large", bytes } };

  return {
    ok: true,
    request: {
      id: values.id!,
      timestamp: values.timestamp!,
      signature: values.signature!,
      body: event.isBase64Encoded ? Buffer.from(sent, "base64").toString("utf8") : sent,
    },
  };
}

/**
 * The message id for the log line. It is read before verification, so anyone can send one: only an
 * id shaped like Svix's (`msg_…`: letters, digits, `_`, `-`, `.`) is logged as sent, so forged
 * requests cannot write arbitrary text into the logs.
 */
export function messageIdOf(event: APIGatewayProxyEventV2): string | undefined {
  const headers = lowerCaseHeaders(event.headers);
  const id = headers["svix-id"] ?? headers["webhook-id"];
  if (id === undefined) return undefined;
  return SAFE_ID.test(id) ? id : "(malformed)";
}

const SAFE_ID = /^[A-Za-z0-9_.-]{1,128}$/;

function lowerCaseHeaders(headers: APIGatewayProxyEventV2["headers"] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) result[name.toLowerCase()] = value;
  }
  return result;
}
