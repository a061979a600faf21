/**
 * The reliability tests sign with their own HMAC (svix-signing.ts) so their oracle is not the
 * library the forwarder verifies with. Here it is held to the svix package and to the Standard
 * Webhooks test vector, so the two cannot drift apart unnoticed.
 */
import { Webhook } from "svix";
import { describe, expect, it } from "vitest";
import { newSigningSecret, SVIX_RETRY_DELAYS_MS, svixSignature } from "./svix-signing";

describe("the independent Svix signer", () => {
  it("matches the Standard Webhooks test vector", () => {
    expect(
      svixSignature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it.each(["{}", '{"emoji":"\u{1F600}","accent":"é"}', "", "not json"])(
    "signs %j exactly as svix's Webhook.sign does",
    (body) => {
      const secret = newSigningSecret();
      const at = new Date(1_764_000_000_000);
      expect(svixSignature(secret, "msg_compare", 1_764_000_000, body)).toBe(
        new Webhook(secret).sign("msg_compare", at, body),
      );
    },
  );

  it("retries on Svix's published schedule: 8 attempts over 27 h 35 min", () => {
    expect(SVIX_RETRY_DELAYS_MS).toHaveLength(8);
    expect(SVIX_RETRY_DELAYS_MS.reduce((a, b) => a + b, 0)).toBe((27 * 60 + 35) * 60_000 + 5_000);
  });
});
