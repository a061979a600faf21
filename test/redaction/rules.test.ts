import { describe, expect, it } from "vitest";
import { compileRedactor } from "../../lambda/redaction/engine";
import { createRedactor, REDACTED } from "../../lambda/redaction/index";
import { DEFAULT_RULES, type DefaultRuleId } from "../../lambda/redaction/rules";
import { clerkFixture } from "../support/forwarder-stubs";
import { getPath } from "./support";

/** A redactor with just this one rule, and one with no rule at all (to show the input carries the secret). */
function onlyRule(id: DefaultRuleId) {
  const rule = DEFAULT_RULES.find((r) => r.id === id)!;
  return compileRedactor({ rules: [rule], marker: REDACTED });
}
const noRules = compileRedactor({ rules: [], marker: REDACTED });

function event(type: string, data: unknown): Record<string, unknown> {
  return { object: "event", type, timestamp: 1716883200000, instance_id: "ins_1", data };
}

// Shaped like the real thing, valid for nothing.
const JWT =
  "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyXzEiLCJpYXQiOjE3MTY4ODMyMDB9.c2lnbmF0dXJlLW5vdC1yZWFs";
const STRIPE_KEY = "sk_live_51HqLyjWDarjtT1zdp7dc";
const GITHUB_TOKEN = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";

interface RuleCase {
  /** The event the rule must act on. */
  input: () => Record<string, unknown>;
  /** Paths and the value each must have after this rule alone ran. */
  expect: Record<string, unknown>;
}

// Keyed by rule id: the type checker refuses a rule in rules.ts without a case here.
const CASES: Record<DefaultRuleId, RuleCase> = {
  "email-otp-code": {
    input: () => clerkFixture("email.created"),
    expect: { "data.data.otp_code": REDACTED, "data.slug": "verification_code", "data.status": "queued" },
  },
  "email-body": {
    input: () => clerkFixture("email.created"),
    expect: { "data.body": REDACTED, "data.body_plain": REDACTED, "data.id": "ema_abcd" },
  },
  "email-subject": {
    input: () => clerkFixture("email.created"),
    expect: { "data.subject": REDACTED, "data.from_email_name": "notifications" },
  },
  "sms-message": {
    input: () => clerkFixture("sms.created"),
    expect: {
      "data.message": REDACTED,
      "data.slug": "verification_code",
      "data.to_phone_number": "+19876543210",
    },
  },
  "payment-source-details": {
    input: () => {
      const attempt = clerkFixture("paymentAttempt.updated");
      const source = (attempt.data as Record<string, Record<string, unknown>>).payment_source!;
      Object.assign(source, { expiry_month: 12, expiry_year: 2030, wallet_type: null });
      return attempt;
    },
    expect: {
      "data.payment_source": {
        id: "cps_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
        gateway: "stripe",
        gateway_external_id: REDACTED,
        gateway_external_account_id: REDACTED,
        payment_method: "card",
        status: "active",
        card_type: REDACTED,
        last4: REDACTED,
        expiry_month: REDACTED,
        expiry_year: REDACTED,
        wallet_type: null,
      },
      "data.status": "paid",
      "data.charge_type": "recurring",
    },
  },
  "gateway-external-id": {
    input: () => clerkFixture("paymentAttempt.created"),
    expect: {
      "data.gateway_external_id": REDACTED,
      "data.payee.gateway_external_id": REDACTED,
      "data.payee.gateway_type": "stripe",
      "data.payment_source.gateway_external_id": REDACTED,
      "data.payment_source.gateway_external_account_id": REDACTED,
      "data.payment_source.last4": "4242",
      "data.payment_id": "cpa_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
      "data.statement_id": "stmt_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
    },
  },
  "secret-field-name": {
    input: () =>
      event("user.updated", {
        id: "user_1",
        private_metadata: {
          apiKey: "ak_live_1",
          stripe_secret: "sk_live_1",
          refresh_token: "rt_1",
          backup_codes: ["bc_1", "bc_2"],
          pin: 4321,
          otpCode: 654321,
          "X-Signing-Key": "whsk_1",
          token: { value: "tok_1", type: "bearer", expires_at: 1716883200000 },
        },
      }),
    expect: {
      "data.id": "user_1",
      "data.private_metadata.apiKey": REDACTED,
      "data.private_metadata.stripe_secret": REDACTED,
      "data.private_metadata.refresh_token": REDACTED,
      "data.private_metadata.backup_codes": [REDACTED, REDACTED],
      "data.private_metadata.pin": REDACTED,
      "data.private_metadata.otpCode": REDACTED,
      "data.private_metadata.X-Signing-Key": REDACTED,
      "data.private_metadata.token": { value: REDACTED, type: "bearer", expires_at: 1716883200000 },
    },
  },
  "private-metadata": {
    input: () => {
      const org = clerkFixture("organization.updated");
      (org.data as Record<string, unknown>).private_metadata = { crm_token: "x", note: "internal" };
      return org;
    },
    expect: {
      "data.private_metadata": REDACTED,
      "data.public_metadata": clerkFixture("organization.updated").data!["public_metadata" as never],
    },
  },
  "secret-value": {
    input: () =>
      event("user.updated", {
        id: "user_1",
        unsafe_metadata: {
          note: `stripe key ${STRIPE_KEY} for billing`,
          blob: JWT,
          github: GITHUB_TOKEN,
          slack: "xoxb-1234567890-abcdefghij",
          aws: "AKIAIOSFODNN7EXAMPLE",
          svix: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
          pem: "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
          link: `https://app.acme.com/sso/${JWT}/continue`,
        },
      }),
    expect: {
      "data.id": "user_1",
      "data.unsafe_metadata.note": `stripe key ${REDACTED} for billing`,
      "data.unsafe_metadata.blob": REDACTED,
      "data.unsafe_metadata.github": REDACTED,
      "data.unsafe_metadata.slack": REDACTED,
      "data.unsafe_metadata.aws": REDACTED,
      "data.unsafe_metadata.svix": REDACTED,
      "data.unsafe_metadata.pem": REDACTED,
      "data.unsafe_metadata.link": `https://app.acme.com/sso/${REDACTED}/continue`,
    },
  },
  "url-credential": {
    input: () => clerkFixture("organizationInvitation.created"),
    expect: {
      "data.url": `https://accounts.acme.com/accept-invitation?token=${REDACTED}`,
      "data.email_address": "jane.doe@acme.com",
    },
  },
};

describe("default rules", () => {
  it("every rule in the table has a reason and a unique id", () => {
    const ids = DEFAULT_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of DEFAULT_RULES) expect(rule.reason.length).toBeGreaterThan(20);
  });

  describe.each(Object.keys(CASES) as DefaultRuleId[])("rule %s", (id) => {
    const { input, expect: expected } = CASES[id];

    it("redacts its credentials on its own and keeps the fields around them", () => {
      const out = onlyRule(id)(input());
      for (const [path, value] of Object.entries(expected)) expect(getPath(out, path), path).toEqual(value);
    });

    it("is what does it: without any rule those values stay as sent", () => {
      const raw = input();
      const out = noRules(raw);
      expect(JSON.stringify(out)).toBe(JSON.stringify(raw));
      const redactedPaths = Object.entries(expected).filter(([, v]) => JSON.stringify(v).includes(REDACTED));
      for (const [path] of redactedPaths)
        expect(getPath(out, path)).not.toEqual(getPath(onlyRule(id)(raw), path));
    });
  });

  it("applies e-mail rules only to an e-mail object: a body field elsewhere is kept", () => {
    const out = createRedactor()(
      event("organization.updated", { object: "organization", body: "Quarterly report", subject: "Hello" }),
    );
    expect(out.data).toEqual({ object: "organization", body: "Quarterly report", subject: "Hello" });
  });

  it("keys the e-mail and SMS rules on data.object, so a future email.* or sms.* type is covered", () => {
    const email = clerkFixture("email.created");
    const sms = clerkFixture("sms.created");
    const redact = createRedactor();
    const futureEmail = redact({ ...email, type: "email.updated" });
    expect(getPath(futureEmail, "data.data.otp_code")).toBe(REDACTED);
    expect(getPath(futureEmail, "data.body")).toBe(REDACTED);
    expect(getPath(redact({ ...sms, type: "sms.delivered" }), "data.message")).toBe(REDACTED);
  });

  it("keeps private_metadata when redactPrivateMetadata is off, its secret-named fields still redacted", () => {
    const org = clerkFixture("organization.updated");
    (org.data as Record<string, unknown>).private_metadata = { internal_id: "ORG-123", crm_token: "tok_1" };
    const out = createRedactor({ redactPrivateMetadata: false })(org);
    expect(getPath(out, "data.private_metadata")).toEqual({ internal_id: "ORG-123", crm_token: REDACTED });
    expect(getPath(createRedactor()(org), "data.private_metadata")).toBe(REDACTED);
  });
});

describe("secret-named fields", () => {
  const redact = createRedactor();
  const redactedUnder = (key: string, value: unknown) =>
    getPath(redact(event("user.updated", { [key]: value })), `data.${key}`);

  it.each([
    "otp_code",
    "code",
    "verification_code",
    "token",
    "session_token",
    "id_token",
    "ticket",
    "password",
    "passwordDigest",
    "client_secret",
    "secret_key",
    "api_key",
    "private_key",
    "signature",
    "jwt",
    "magic_link",
    "__clerk_ticket",
    "invitation_code",
    // One-word keys: the secret word inside them.
    "accesstoken",
    "refreshtoken",
    "otpcode",
    "clientsecret",
    "privatekey",
    "userpassword",
    // Secrets named by a companion word.
    "mfa_seed",
    "recovery_phrase",
    "seedPhrase",
    "mnemonic",
  ])("redacts a string under %s", (key) => {
    expect(redactedUnder(key, "s3cr3t-value")).toBe(REDACTED);
  });

  it("redacts every string of an array under a secret name (backup codes)", () => {
    expect(redactedUnder("backup_codes", ["aaaa-1111", "bbbb-2222"])).toEqual([REDACTED, REDACTED]);
  });

  it("redacts a numeric one-time code", () => {
    expect(redactedUnder("otp_code", 123456)).toBe(REDACTED);
  });

  it("keeps only the scalars of a describing field inside a secret: an object under one stays secret", () => {
    expect(redactedUnder("secrets", { provider: { stripe: "sk_live_1" }, type: "api" })).toEqual({
      provider: { stripe: REDACTED },
      type: "api",
    });
    expect(redactedUnder("token", { status: { value: "tok_1", type: "bearer" }, expires_at: 1 })).toEqual({
      status: { value: REDACTED, type: "bearer" },
      expires_at: 1,
    });
  });
});

describe("false-positive traps: flags and metadata the analytics need are kept", () => {
  const redact = createRedactor();

  it.each([
    ["password_enabled", true],
    ["backup_code_enabled", false],
    ["totp_enabled", true],
    ["two_factor_enabled", false],
    ["otp", true],
    ["password", null],
    ["token", null],
    ["mfa_enabled_at", 1716883200000],
    ["password_last_updated_at", 1716883200000],
    ["token_expires_at", 1716883200000],
    ["otp_code_length", 6],
    ["verification_attempts_remaining", 3],
    ["slug", "verification_code"],
    ["strategy", "email_code"],
    ["key", "org:admin"],
    ["public_key", "pk_test_abc"],
    ["country_code", "US"],
    ["currency_code", "USD"],
    ["status_code", 200],
    ["token_type", "Bearer"],
    ["password_hasher", "bcrypt"],
    ["code_challenge_method", "S256"],
    ["email_address_id", "idn_1"],
    ["external_id", "ex_123456789"],
    ["last4", "4242"],
    ["browser_version", "128.0.0.0"],
    // One-word keys with a harmless code or key.
    ["zipcode", "94107"],
    ["countrycode", "US"],
    ["barcode", "4006381333931"],
    ["monkey", "banana"],
    ["phrase", "hello world"],
  ])("keeps %s: %j", (key, value) => {
    expect(getPath(redact(event("user.updated", { [key]: value })), `data.${key}`)).toEqual(value);
  });

  it("keeps a failed payment's reason: failed_reason.code and decline_code (Clerk Billing)", () => {
    const attempt = clerkFixture("paymentAttempt.updated");
    const reason = { code: "card_declined", decline_code: "insufficient_funds" };
    Object.assign(attempt.data as object, { status: "failed", failed_reason: reason });
    expect(getPath(redact(attempt), "data.failed_reason")).toEqual(reason);
    // Only directly under a reason or an error: elsewhere a bare `code` is still a credential.
    expect(
      getPath(redact(event("user.updated", { errors: [{ code: "form_invalid" }] })), "data.errors"),
    ).toEqual([{ code: "form_invalid" }]);
    expect(
      getPath(redact(event("user.updated", { verification: { code: "123456" } })), "data.verification"),
    ).toEqual({
      code: REDACTED,
    });
  });

  it("keeps verification.strategy email_code of organizationDomain.updated", () => {
    const out = redact(clerkFixture("organizationDomain.updated"));
    expect(getPath(out, "data.verification")).toEqual({
      status: "verified",
      strategy: "email_code",
      attempts: 1,
      expire_at: null,
    });
  });

  it("keeps the user's security flags of user.updated", () => {
    const input = clerkFixture("user.updated");
    expect(JSON.stringify(redact(input))).toBe(JSON.stringify(input));
  });

  it("keeps role and permission keys (role.created)", () => {
    const out = redact(clerkFixture("role.created"));
    expect(getPath(out, "data.key")).toBe("org:content_manager");
    expect(getPath(out, "data.permissions.0.key")).toBe("org:posts:create");
  });
});

describe("URL credentials", () => {
  const redact = createRedactor();
  const inField = (url: string) =>
    getPath(redact(event("user.updated", { public_metadata: { link: url } })), "data.public_metadata.link");

  it.each([
    [
      "magic link",
      "https://accounts.acme.com/v1/verify?token=eyJhbGciOi.abc&redirect_url=%2Fhome",
      `https://accounts.acme.com/v1/verify?token=${REDACTED}&redirect_url=%2Fhome`,
    ],
    [
      "Clerk ticket",
      "https://acme.com/sign-up?__clerk_ticket=tk_123&__clerk_status=sign_up",
      `https://acme.com/sign-up?__clerk_ticket=${REDACTED}&__clerk_status=sign_up`,
    ],
    [
      "OAuth code",
      "https://acme.com/callback?code=4%2F0AX&state=xyz",
      `https://acme.com/callback?code=${REDACTED}&state=xyz`,
    ],
    [
      "fragment key",
      "https://app.svix.com/login#key=eyJhcHBJZCI6",
      `https://app.svix.com/login#key=${REDACTED}`,
    ],
    [
      "signed URL",
      "https://bucket.s3.amazonaws.com/a.png?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=deadbeef&X-Amz-Expires=300",
      `https://bucket.s3.amazonaws.com/a.png?X-Amz-Credential=${REDACTED}&X-Amz-Signature=${REDACTED}&X-Amz-Expires=300`,
    ],
    [
      "invitation token",
      "https://acme.com/accept?invitation_token=inv_9",
      `https://acme.com/accept?invitation_token=${REDACTED}`,
    ],
    ["user-info password", "https://admin:hunter2@db.acme.com/x", `https://admin:${REDACTED}@db.acme.com/x`],
    [
      "encoded link in a redirect",
      `https://acme.com/sign-in?redirect_url=${encodeURIComponent("https://acme.com/accept?token=t_1")}&x=1`,
      `https://acme.com/sign-in?redirect_url=${REDACTED}&x=1`,
    ],
  ])("%s: only the credential's value goes", (_name, url, expected) => {
    expect(inField(url)).toBe(expected);
  });

  it("redacts a link percent-encoded as a whole when it carries a credential, and keeps one that does not", () => {
    expect(inField(encodeURIComponent("https://acme.com/accept?__clerk_ticket=tk_1"))).toBe(REDACTED);
    expect(inField(encodeURIComponent(encodeURIComponent("https://acme.com/v1/verify?token=t_1")))).toBe(
      REDACTED,
    );
    const harmless = encodeURIComponent("https://app.acme.com/dashboard?tab=usage");
    expect(inField(harmless)).toBe(harmless);
  });

  it("finds links inside text and HTML (&amp; separates parameters; a value runs to whitespace, as JWTs hold dots)", () => {
    const html =
      '<a href="https://acme.com/v1/verify?redirect_url=%2F&amp;token=tok_1">Sign in</a> or https://acme.com/x?ticket=t.2. Thanks';
    expect(inField(html)).toBe(
      `<a href="https://acme.com/v1/verify?redirect_url=%2F&amp;token=${REDACTED}">Sign in</a> or https://acme.com/x?ticket=${REDACTED} Thanks`,
    );
  });

  it.each([
    "https://img.clerk.com/xxxxxx",
    "https://accounts.acme.com/sign-in?redirect_url=https%3A%2F%2Fapp.acme.com%2Fdashboard&utm_source=email",
    "https://acme.com/search?country_code=US&session_id=sess_1&token=",
    "a=b and c=d",
    "john.doe@acme.com",
    // Clerk's image proxy carries base64 JSON in the path: public, and no credential-named segment before it.
    "https://img.clerk.com/eyJ0eXBlIjoicHJveHkiLCJzcmMiOiJodHRwczovL2ltYWdlcy5jbGVyay5kZXYifQ",
    "https://acme.com/?t=dark&v=2",
    "https://acme.com/users/user_2g7np7Hrk0SN6kj5EDMLDaKNL0S/profile",
  ])("keeps %s", (text) => {
    expect(inField(text)).toBe(text);
  });

  it.each([
    [
      "a one-letter parameter holding a token",
      "https://acme.com/go?t=9f8a7b6c5d4e3f2a1b0c",
      `https://acme.com/go?t=${REDACTED}`,
    ],
    [
      "?code= (an OAuth or verification code)",
      "https://acme.com/cb?code=4/0AeanS0b&state=x",
      `https://acme.com/cb?code=${REDACTED}&state=x`,
    ],
    [
      "a token after a credential-named path segment",
      "https://acme.com/reset-password/9f8a7b6c5d4e3f2a1b0c9d8e/confirm",
      `https://acme.com/reset-password/${REDACTED}/confirm`,
    ],
    [
      "a JWT in the path",
      "https://acme.com/sso/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl/next",
      `https://acme.com/sso/${REDACTED}/next`,
    ],
  ])("%s goes, the rest of the link stays", (_name, url, expected) => {
    expect(inField(url)).toBe(expected);
  });
});
