/**
 * The default redaction rules: what counts as a credential in a Clerk event, and why.
 * Every rule has a test named for its id (test/redaction/rules.test.ts).
 *
 * Kinds:
 * - `path`: a known place in one kind of object (the event's `data.object`: `email`, `sms_message`), so a
 *   future `email.*` or `sms.*` event type carrying the same object is covered (dot path, `*` = any key
 *   or index);
 * - `field`: a field with exactly this name, anywhere, redacted whole (`private_metadata`);
 * - `field-name`: any string or number under a field whose name marks it as a secret, anywhere;
 * - `url-credential`: the value of a credential-like query/fragment parameter in any string (a URL on its
 *   own or inside text), and the password of a URL's user-info; the rest of the URL is kept (a link
 *   percent-encoded as a whole, outside any parameter, goes whole); also a token-shaped path segment and
 *   a token-shaped value of a one- or two-letter parameter (`?t=…`);
 * - `secret-value`: a value shaped like a credential (SECRET_VALUES below) wherever it is, whatever the
 *   field's name: the matching part of the string becomes the marker;
 * - `keep-only`: an object under a field with exactly this name, anywhere, keeps only the listed fields;
 *   every other non-null value in it becomes the marker (an allowlist, so a detail Clerk adds later is
 *   removed too);
 * - `personal-data` is not here: it is pseudonymisation (off by default), see PERSONAL_DATA below.
 */

export type RuleKind = "path" | "field" | "keep-only" | "field-name" | "url-credential" | "secret-value";

export interface PathRule {
  readonly id: string;
  readonly kind: "path";
  /** The event's `data.object` the paths apply to. */
  readonly object: string;
  readonly paths: readonly string[];
  readonly reason: string;
}

export interface FieldRule {
  readonly id: string;
  readonly kind: "field";
  /** Field names, matched exactly, at any depth. */
  readonly names: readonly string[];
  readonly reason: string;
}

export interface KeepOnlyRule {
  readonly id: string;
  readonly kind: "keep-only";
  /** Field names, matched exactly, at any depth, whose object (or array of objects) is filtered. */
  readonly names: readonly string[];
  /** The fields kept inside it; every other non-null value becomes the marker. */
  readonly keep: readonly string[];
  readonly reason: string;
}

export interface PatternRule {
  readonly id: string;
  readonly kind: "field-name" | "url-credential" | "secret-value";
  readonly reason: string;
}

export type RedactionRule = PathRule | FieldRule | KeepOnlyRule | PatternRule;

export const DEFAULT_RULES = [
  {
    id: "email-otp-code",
    kind: "path",
    object: "email",
    paths: ["data.data.otp_code"],
    reason: "the one-time code itself: whoever reads it can sign in or verify as the user",
  },
  {
    id: "email-body",
    kind: "path",
    object: "email",
    paths: ["data.body", "data.body_plain"],
    reason: "the rendered message carries the code, the magic link or the invitation link",
  },
  {
    id: "email-subject",
    kind: "path",
    object: "email",
    paths: ["data.subject"],
    reason:
      'verification subjects lead with the code ("123456 is your verification code") and custom templates may ' +
      "format it any way; the template is already in data.slug",
  },
  {
    id: "sms-message",
    kind: "path",
    object: "sms_message",
    paths: ["data.message"],
    reason: "the text message carries the code or a sign-in link; the template is in data.slug",
  },
  {
    id: "private-metadata",
    kind: "field",
    names: ["private_metadata"],
    reason:
      "backend-only storage (users, organizations, invitations) where apps keep third-party tokens and " +
      "internal notes no analytics needs; on by default, off with redactPrivateMetadata=false",
  },
  {
    id: "payment-source-details",
    kind: "keep-only",
    names: ["payment_source"],
    keep: ["object", "id", "payment_method", "status", "gateway"],
    reason:
      "a payment attempt's card type, last four digits, expiry and whatever else Clerk adds about the card or " +
      "wallet identify the payer's payment method and no analytics needs them; the method (card, link), its " +
      "status and the gateway stay",
  },
  {
    id: "gateway-external-id",
    kind: "field",
    names: ["gateway_external_id", "gateway_external_account_id"],
    reason:
      "the payment processor's own ids (Stripe payment intents, payment methods, accounts) look up the payment " +
      "and the card in the processor's dashboard; Clerk's ids (payment_id, statement_id, payer, payee) stay",
  },
  {
    id: "secret-field-name",
    kind: "field-name",
    reason:
      "a value under otp_code, token, ticket, password, secret, api_key… is the credential wherever it appears " +
      "(user metadata included); flags, timestamps and strategies describing a secret are not, and are kept",
  },
  {
    id: "url-credential",
    kind: "url-credential",
    reason:
      "invitation, magic and sign-in links (?token=, ?__clerk_ticket=, #key=…) accept the user or invitation; " +
      "only the parameter's value goes, so origin, path and other parameters stay for analytics; a token in " +
      "the path (`/reset/<token>`) or in a one-letter parameter (`?t=…`) goes too",
  },
  {
    id: "secret-value",
    kind: "secret-value",
    reason:
      "a JWT, an API key (sk_live_, whsec_, ghp_, xoxb-, AKIA…) or a PEM block is a credential under any name " +
      "(`note`, `data`, a link): only the matching text becomes the marker",
  },
] as const satisfies readonly RedactionRule[];

/** The rule `redactPrivateMetadata=false` (REDACT_PRIVATE_METADATA=false) turns off. */
export const PRIVATE_METADATA_RULE = "private-metadata" satisfies DefaultRuleId;

/**
 * Credential shapes recognised in any string (rule `secret-value`). Each must be specific enough never
 * to match an id, a name or a timestamp Clerk sends; a test checks every fixture keeps its values.
 */
export const SECRET_VALUES = [
  { name: "jwt", pattern: "eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]*" },
  { name: "clerk-or-stripe-secret-key", pattern: "\\b[sr]k_(?:live|test)_[A-Za-z0-9]{8,}" },
  { name: "svix-signing-secret", pattern: "\\bwhsec_[A-Za-z0-9+/=]{8,}" },
  { name: "github-token", pattern: "\\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})" },
  { name: "slack-token", pattern: "\\bxox[abposr]-[A-Za-z0-9-]{8,}" },
  { name: "aws-access-key-id", pattern: "\\b(?:AKIA|ASIA)[A-Z0-9]{16}\\b" },
  {
    name: "pem-block",
    pattern: "-----BEGIN [A-Z0-9 ]{1,40}-----[\\s\\S]*?(?:-----END [A-Z0-9 ]{1,40}-----|$)",
  },
] as const;

/**
 * A literal every shape above contains: strings without one (nearly all of Clerk's) skip the full
 * pattern. The generated-credentials property (test/reliability/bad-input.test.ts) fails if a shape
 * lacks its literal here.
 */
export const SECRET_VALUE_HINT =
  "eyJ|k_live_|k_test_|whsec_|gh[pousr]_|github_pat_|xox[a-z]-|A[KS]IA|-----BEGIN";

export type DefaultRuleId = (typeof DEFAULT_RULES)[number]["id"];

/**
 * Field names are split into lowercase words (`otpCode`, `otp_code`, `X-Otp-Code` → otp, code) and judged
 * by these word lists.
 */
export const FIELD_NAME_WORDS = {
  /** A name holding one of these words names a secret (`otp_code`, `refresh_token`, `backup_codes`). */
  secret: [
    "otp",
    "totp",
    "token",
    "tokens",
    "ticket",
    "tickets",
    "password",
    "passwords",
    "passwd",
    "pwd",
    "passphrase",
    "passcode",
    "passcodes",
    "pin",
    "secret",
    "secrets",
    "signature",
    "signatures",
    "sig",
    "credential",
    "credentials",
    "jwt",
    "apikey",
    "authorization",
    "bearer",
    "cookie",
    "cookies",
    "handshake",
    "magic",
    "seed",
    "mnemonic",
  ],
  /**
   * A name written as one word (`accesstoken`, `clientSecret` typed as `clientsecret`, `mfaseed`) is
   * secret when it ends in one of these, or is one of `codeIsSecretAfter` + `code(s)`, or one of
   * `keyIsSecretWith` + `key(s)` (`otpcode`, `privatekey`).
   */
  secretEndings: [
    "token",
    "tokens",
    "secret",
    "secrets",
    "password",
    "passwords",
    "passwd",
    "passphrase",
    "passcode",
    "passcodes",
    "credential",
    "credentials",
    "apikey",
    "jwt",
    "otp",
    "totp",
    "seed",
    "mnemonic",
  ],
  codeIsSecretAfter: [
    "otp",
    "totp",
    "mfa",
    "auth",
    "verification",
    "verify",
    "recovery",
    "backup",
    "reset",
    "login",
    "signin",
    "access",
    "confirmation",
    "confirm",
    "invite",
    "invitation",
    "magic",
    "security",
    "onetime",
    "sms",
    "twofactor",
  ],
  /** `phrase` is a secret only with one of these (`recovery_phrase`, `seed_phrase`, `passPhrase`). */
  phraseIsSecretWith: ["recovery", "seed", "secret", "backup", "mnemonic", "pass", "wallet"],
  /**
   * `code` is a secret (`code`, `otp_code`, `verification_code`, `backup_codes`) unless one of these words
   * says which harmless code it is (`country_code`, `status_code`).
   */
  codeIsNotSecretWith: [
    "country",
    "currency",
    "postal",
    "zip",
    "area",
    "dial",
    "calling",
    "region",
    "language",
    "lang",
    "locale",
    "error",
    "status",
    "response",
    "reason",
    "http",
    "exit",
    "iso",
    "tax",
    "product",
    "plan",
    "promo",
    "coupon",
    "discount",
    "referral",
    "color",
    "colour",
    "source",
    "airport",
    "state",
    "event",
    // A payment's `decline_code` (`insufficient_funds`): the processor's reason, not a credential.
    "decline",
    "failure",
  ],
  /**
   * A field named just `code` directly inside an object named for a reason or an error is that reason's
   * code: Clerk Billing's `failed_reason: { code: "card_declined", decline_code: "…" }`.
   */
  codeIsNotSecretUnder: ["reason", "reasons", "error", "errors", "failure", "failures"],
  /** `key` is a secret only with one of these (`api_key`, `private_key`): a role's `key` is `org:admin`. */
  keyIsSecretWith: [
    "api",
    "secret",
    "private",
    "access",
    "signing",
    "encryption",
    "session",
    "master",
    "license",
    "auth",
    "hmac",
    "client",
    "webhook",
    "pseudonymization",
  ],
  /**
   * A name ending in one of these describes a secret instead of holding it (`password_enabled`,
   * `backup_code_enabled`, `token_expires_at`, `otp_code_length`, `code_challenge_method`): kept, and inside a
   * secret-named object such a field's scalar is kept too (`token: { value: "…", type: "bearer" }`).
   */
  describesSecret: [
    "enabled",
    "disabled",
    "required",
    "allowed",
    "configured",
    "supported",
    "present",
    "exists",
    "set",
    "at",
    "on",
    "date",
    "time",
    "timestamp",
    "expires",
    "expiry",
    "expiration",
    "ttl",
    "seconds",
    "type",
    "types",
    "kind",
    "strategy",
    "strategies",
    "method",
    "methods",
    "hasher",
    "algorithm",
    "alg",
    "length",
    "count",
    "attempts",
    "remaining",
    "status",
    "verified",
    "verification",
    "id",
    "ids",
    "name",
    "label",
    "hint",
    "version",
    "format",
    "mode",
    "policy",
    "provider",
    "strength",
    "level",
  ],
  /** In a URL these words name a credential too (`?key=` is an API key, `?__session=` a session JWT). */
  urlParameterAlsoSecret: ["key", "auth", "session"],
} as const;

/**
 * Personal data, pseudonymised only when a key is configured (default: kept, the user's analytics may need
 * it). Recognised by field name, plus any string that is an e-mail address as a whole wherever it is.
 * People's names (`first_name`, `last_name`: users', members', billing payers') are personal data like their
 * addresses; a username is a handle the user chose and is kept (`redactPaths` removes it where needed).
 * A name starting with `from` is the sender (the instance's own address or number), not a person: kept.
 */
export const PERSONAL_DATA = {
  /** `email`, `email_address`, `to_email_address`, `affiliation_email_address` (not `email_address_id`). */
  email: { word: "email", lastWord: ["email", "emails", "address", "addresses"] },
  /** `phone_number`, `to_phone_number`, `phone` (not `phone_number_id`). */
  phone: { word: "phone", lastWord: ["phone", "phones", "number", "numbers"] },
  /** `client_ip`, `ip_address`, `ip`. */
  ip: { word: "ip", lastWord: ["ip", "ips", "address", "addresses"] },
  /** `identifier` holds an e-mail, a phone number or a username: judged by its value. */
  identifier: { word: "identifier", lastWord: ["identifier", "identifiers"] },
  /** `first_name`, `last_name`, `firstName` (not `organization_name`, `role_name`, a plan's `name`). */
  personName: { lastWord: "name", qualifier: ["first", "last", "middle", "given", "family", "full"] },
  senderFirstWord: "from",
} as const;
