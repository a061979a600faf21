/**
 * Svix's signing scheme, written here with node:crypto rather than taken from the svix package,
 * so the reliability tests judge the forwarder (which verifies with svix) against an independent
 * oracle: `v1,` + base64(HMAC-SHA256(base64-decode(secret minus "whsec_"), "id.timestamp.body")).
 */
import { createHmac, randomBytes } from "node:crypto";

/** Svix's delays before each attempt: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const SVIX_RETRY_DELAYS_MS = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
] as const;

/** The base64 signature (no `v1,`) of `body` (its bytes as sent) for one message id and timestamp. */
export function signatureOf(
  secret: string,
  id: string,
  timestamp: number | string,
  body: Buffer | string,
): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest("base64");
}

/** The `svix-signature` header value Svix sends for one secret. */
export function svixSignature(
  secret: string,
  id: string,
  timestamp: number | string,
  body: Buffer | string,
): string {
  return `v1,${signatureOf(secret, id, timestamp, body)}`;
}

/** A fresh signing secret, as Svix issues them (`whsec_` + base64 of 24 random bytes). */
export function newSigningSecret(bytes: Uint8Array = randomBytes(24)): string {
  return `whsec_${Buffer.from(bytes).toString("base64")}`;
}
