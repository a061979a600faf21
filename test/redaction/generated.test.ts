/**
 * Generated variants: credentials planted at random depths in random events, each plant knowing exactly
 * what it must become. The redactor's output must equal the expected tree byte for byte: no secret
 * survives, and every other key and value is kept, in order.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRedactor, REDACTED } from "../../lambda/redaction/index";
import { clerkFixture } from "../support/forwarder-stubs";
import { containsToken, deepFreeze } from "./support";

/** An input tree and what the redactor must turn it into. */
type Pair = readonly [input: unknown, expected: unknown];

// Secrets carry a prefix found nowhere else, so "does any survive" is a plain substring search.
const SECRET_PREFIX = "SeCrEt";
const secret = fc.stringMatching(/^[A-Za-z0-9_-]{8,24}$/).map((s) => `${SECRET_PREFIX}${s}`);
const numericSecret = fc.integer({ min: 900_000_001, max: 999_999_999 });

// Field names seen in Clerk payloads that must be kept, traps included (flags, strategies, role keys).
const benignKey = fc.constantFrom(
  "id",
  "object",
  "status",
  "name",
  "slug",
  "role",
  "key",
  "strategy",
  "created_at",
  "expire_at",
  "password_enabled",
  "backup_code_enabled",
  "totp_enabled",
  "verification",
  "public_metadata",
  "url",
  "image_url",
  "description",
  "amount",
  "currency",
  "country_code",
  "token_type",
  "items",
  "data",
  "__proto__",
);
const benignString = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9 _.:/-]{0,20}$/),
  fc.constantFrom(
    "email_code",
    "verification_code",
    "org:admin",
    "https://img.clerk.com/xxxxxx",
    "https://accounts.acme.com/sign-in?redirect_url=%2Fdashboard&utm_source=email",
    "128.0.0.0",
  ),
);
const benignLeaf: fc.Arbitrary<Pair> = fc
  .oneof(benignString, fc.integer({ min: -1000, max: 1000 }), fc.boolean(), fc.constant(null))
  .map((v) => [v, v]);

const host = fc.constantFrom("accounts.acme.com", "acme.com", "clerk.example.dev");
const credentialParameter = fc.constantFrom(
  "token",
  "ticket",
  "__clerk_ticket",
  "code",
  "otp",
  "invitation_token",
  "signature",
  "key",
);
const secretField = fc.constantFrom(
  "otp_code",
  "code",
  "token",
  "ticket",
  "password",
  "client_secret",
  "apiKey",
  "verification_code",
  "magic_link",
);

/** Credentials in the shapes they take: links alone, links in text and HTML, named fields, nested objects. */
const plant: fc.Arbitrary<Pair> = fc.oneof(
  fc.tuple(host, credentialParameter, secret).map(([h, p, s]): Pair => {
    const url = (v: string) => `https://${h}/v1/verify?redirect_url=%2Fhome&${p}=${v}&utm_source=email`;
    return [url(s), url(REDACTED)];
  }),
  fc.tuple(host, credentialParameter, secret, benignString).map(([h, p, s, text]): Pair => {
    const html = (v: string) => `<p>${text}</p><a href="https://${h}/accept?lang=en&amp;${p}=${v}">Join</a>`;
    return [html(s), html(REDACTED)];
  }),
  fc.tuple(host, secret).map(([h, s]): Pair => {
    const link = (v: string) => `https://${h}/sign-in?redirect_url=${v}`;
    return [link(encodeURIComponent(`https://${h}/accept?__clerk_ticket=${s}`)), link(REDACTED)];
  }),
  fc.tuple(secretField, secret).map(([f, s]): Pair => [{ [f]: s }, { [f]: REDACTED }]),
  fc
    .tuple(fc.constantFrom("otp_code", "pin", "code"), numericSecret)
    .map(([f, n]): Pair => [{ [f]: n }, { [f]: REDACTED }]),
  fc.array(secret, { minLength: 1, maxLength: 3 }).map(
    (codes): Pair => [
      { backup_codes: codes, backup_code_enabled: true },
      { backup_codes: codes.map(() => REDACTED), backup_code_enabled: true },
    ],
  ),
  secret.map(
    (s): Pair => [
      { token: { value: s, type: "bearer", expires_at: 1716883200000 } },
      { token: { value: REDACTED, type: "bearer", expires_at: 1716883200000 } },
    ],
  ),
);

function objectOf(entries: (readonly [string, Pair])[]): Pair {
  const build = (side: 0 | 1) => {
    const out: Record<string, unknown> = {};
    for (const [key, pair] of entries) {
      Object.defineProperty(out, key, {
        value: pair[side],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  };
  return [build(0), build(1)];
}

const { tree } = fc.letrec<{ tree: Pair; node: Pair }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    benignLeaf,
    plant,
    fc
      .uniqueArray(fc.tuple(benignKey, tie("node")), { selector: ([key]) => key, maxLength: 5 })
      .map(objectOf),
    fc
      .array(tie("node"), { maxLength: 4 })
      .map((items): Pair => [items.map((i) => i[0]), items.map((i) => i[1])]),
  ),
  node: tie("tree"),
}));

// Event types without type-specific rules, so every expectation comes from the plants alone.
const eventType = fc.constantFrom(
  "user.updated",
  "session.created",
  "organization.updated",
  "waitlistEntry.created",
);

function envelope(type: string, data: unknown): Record<string, unknown> {
  return { data, object: "event", type, timestamp: 1716883200000, instance_id: "ins_1" };
}

describe("generated variants", () => {
  const redact = createRedactor();

  it("credentials planted anywhere are redacted; every other key and value is kept as sent", () => {
    fc.assert(
      fc.property(eventType, tree, (type, [input, expected]) => {
        const event = deepFreeze(envelope(type, input));
        const out = JSON.stringify(redact(event));
        expect(out).toBe(JSON.stringify(envelope(type, expected)));
        expect(out).not.toContain(SECRET_PREFIX);
      }),
      { numRuns: 300 },
    );
  });

  it("magic-link and invitation e-mails: no token survives, the message's metadata is kept", () => {
    const template = clerkFixture("email.created");
    fc.assert(
      fc.property(
        host,
        secret,
        secret,
        fc.constantFrom("magic_link_sign_in", "organization_invitation"),
        (h, token, ticket, slug) => {
          const magic = `https://${h}/v1/verify?token=${token}&redirect_url=https%3A%2F%2F${h}%2F`;
          const invite = `https://${h}/accept-invitation?__clerk_ticket=${ticket}`;
          const data = template.data as Record<string, unknown>;
          const { otp_code: _code, ...templateData } = data.data as Record<string, unknown>;
          const event = deepFreeze({
            ...template,
            data: {
              ...data,
              slug,
              subject: `Sign in to Acme: ${magic}`,
              body: `<a href="${magic}">Sign in</a><a href="${invite.replace("?", "?lang=en&amp;")}">Join</a>`,
              body_plain: `Sign in: ${magic}\nJoin: ${invite}`,
              data: { ...templateData, magic_link: magic, action_url: invite },
            },
          });
          const out = redact(event) as { data: Record<string, any> };
          const text = JSON.stringify(out);
          expect(containsToken(text, token)).toBe(false);
          expect(containsToken(text, ticket)).toBe(false);
          expect(out.data.data.magic_link).toBe(REDACTED);
          expect(out.data.data.action_url).toBe(`https://${h}/accept-invitation?__clerk_ticket=${REDACTED}`);
          expect([out.data.slug, out.data.status, out.data.id, out.data.user_id]).toEqual([
            slug,
            "queued",
            "ema_abcd",
            "user_abcd",
          ]);
          expect(out.data.data.app).toEqual((data.data as Record<string, unknown>).app);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("codes in unexpected places of an sms.created event", () => {
    fc.assert(
      fc.property(numericSecret, (code) => {
        const template = clerkFixture("sms.created");
        const event = deepFreeze({
          ...template,
          data: { ...(template.data as object), data: { otp_code: String(code), retry: { code } } },
        });
        const out = redact(event) as { data: Record<string, unknown> };
        expect(JSON.stringify(out)).not.toContain(String(code));
        expect(out.data.data).toEqual({ otp_code: REDACTED, retry: { code: REDACTED } });
      }),
      { numRuns: 50 },
    );
  });
});
