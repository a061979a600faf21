/**
 * Svix signature verification with the svix library itself (HMAC-SHA256 over `id.timestamp.body`,
 * ±5 minutes against the clock, any one of several space-separated `v1,` signatures). svix 2 is
 * an ES module without side effects: esbuild keeps only `Webhook` and standardwebhooks (13 KB
 * minified), not its API client.
 */
import { Webhook, WebhookVerificationError } from "svix";
import type { RequestOutcome } from "./outcome";
import type { SignedRequest } from "./request";

export type Verification = { ok: true; payload: unknown } | { ok: false; outcome: RequestOutcome };

export type Verifier = (request: SignedRequest) => Verification;

export type VerifierResult = { ok: true; verify: Verifier } | { ok: false; detail: string };

/**
 * The shortest HMAC key accepted. Svix issues 24 bytes; svix itself takes any length, even none
 * (`whsec_`), and a signature under an empty or tiny key is one anybody can make.
 */
export const MIN_SIGNING_KEY_BYTES = 16;

/** Builds a verifier for one signing secret (`whsec_…`); a secret svix can't decode is a config error. */
export function createVerifier(signingSecret: string): VerifierResult {
  let webhook: Webhook;
  try {
    webhook = new Webhook(signingSecret);
  } catch {
    return { ok: false, detail: 'the secret\'s "signingSecret" is not a Svix signing secret (whsec_…)' };
  }
  const keyBytes = Buffer.byteLength(signingSecret.replace(/^whsec_/, ""), "base64");
  if (keyBytes < MIN_SIGNING_KEY_BYTES) {
    return {
      ok: false,
      detail:
        `the secret's "signingSecret" holds a ${keyBytes}-byte key, too short to keep forgeries out: ` +
        "store the endpoint's signing secret as Clerk shows it (whsec_ and 32 characters)",
    };
  }
  return {
    ok: true,
    verify(request) {
      try {
        webhook.verify(request.body, {
          "svix-id": request.id,
          "svix-timestamp": request.timestamp,
          "svix-signature": request.signature,
        });
      } catch (error) {
        const stale =
          error instanceof WebhookVerificationError && /timestamp too (old|new)/i.test(error.message);
        return { ok: false, outcome: { kind: stale ? "timestamp_out_of_tolerance" : "signature_mismatch" } };
      }
      // svix 2 verifies without parsing: the body is read only once its signature matched.
      try {
        return { ok: true, payload: JSON.parse(request.body) };
      } catch {
        return { ok: false, outcome: { kind: "invalid_payload", detail: "the verified body is not JSON" } };
      }
    },
  };
}
