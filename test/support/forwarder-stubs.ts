import { createHmac } from "node:crypto";
/**
 * Stand-ins and request builders for the webhook forwarder's tests and bench: a Secrets Manager
 * that speaks the JSON 1.1 protocol the AWS SDK uses, a Tinybird Events API, and API Gateway
 * events signed by the real svix library.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { Webhook } from "svix";
import { type ForwarderConfig, loadConfig } from "../../lambda/config";
import { toApiGatewayEvent } from "../../local/api-gateway-adapter";
import { SAMPLES_DIR } from "../../local/send";
import type { StubHandler, StubReply } from "./http-stub";

/** The Standard Webhooks test-vector key; any whsec_ value works the same. */
export const SIGNING_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
export const ROTATED_SIGNING_SECRET = "whsec_cm90YXRlZC1zaWduaW5nLXNlY3JldC0wMDAwMDAwMA==";
export const TINYBIRD_TOKEN = "p.eyJ1IjogInRlc3QtYXBwZW5kLXRva2VuIn0.forwarder-test";
export const ROTATED_TINYBIRD_TOKEN = "p.eyJ1IjogInJvdGF0ZWQtdG9rZW4ifQ.forwarder-test";
export const PSEUDONYMIZATION_KEY = "pseudonymization-key-for-tests-0123456789";
export const SECRET_ID =
  "arn:aws:secretsmanager:eu-west-1:123456789012:secret:clerk-tinybird-forwarder-AbCdEf";

/** A Clerk payload from the repository's fixtures (`test/fixtures/clerk-events/<type>.json`). */
/**
 * The forwarder's settings as loadConfig reads an environment naming only `tinybirdHost` (every other
 * setting at its default), with `overrides`: a test states only what it is about.
 */
export function forwarderConfig(
  tinybirdHost: string,
  overrides: Partial<ForwarderConfig> = {},
): ForwarderConfig {
  const loaded = loadConfig({ TINYBIRD_HOST: tinybirdHost }, { needsSecretId: false });
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  return { ...loaded.config, ...overrides };
}

export function clerkFixture(type: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SAMPLES_DIR, `${type}.json`), "utf8")) as Record<string, unknown>;
}

export interface SecretValue {
  tinybirdToken?: string;
  signingSecret?: string;
  pseudonymizationKey?: string;
}

export type SecretsManagerAnswer =
  | { secretString: string; versionId?: string }
  | { error: string; status?: number; message?: string };

export function secretAnswer(value: SecretValue = {}, versionId = "v1"): SecretsManagerAnswer {
  return {
    secretString: JSON.stringify({ tinybirdToken: TINYBIRD_TOKEN, signingSecret: SIGNING_SECRET, ...value }),
    versionId,
  };
}

const AMZ_JSON = { "content-type": "application/x-amz-json-1.1" };

/**
 * Secrets Manager's GetSecretValue over JSON 1.1: `X-Amz-Target: secretsmanager.GetSecretValue`,
 * body `{SecretId}`, answer `{ARN, Name, SecretString, VersionId}`; errors as `{__type, message}`.
 */
export function secretsManagerHandler(answer: (secretId: string) => SecretsManagerAnswer): StubHandler {
  return (req) => {
    if (req.method !== "POST" || req.headers["x-amz-target"] !== "secretsmanager.GetSecretValue") {
      return amzError(
        400,
        "UnknownOperationException",
        `unexpected ${req.method} ${req.headers["x-amz-target"]}`,
      );
    }
    const { SecretId } = JSON.parse(req.text) as { SecretId: string };
    const reply = answer(SecretId);
    if ("error" in reply) return amzError(reply.status ?? 400, reply.error, reply.message ?? reply.error);
    return {
      status: 200,
      headers: AMZ_JSON,
      body: JSON.stringify({
        ARN: SecretId.startsWith("arn:")
          ? SecretId
          : `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${SecretId}`,
        Name: SecretId.split(":").pop(),
        SecretString: reply.secretString,
        VersionId: reply.versionId ?? "v1",
        VersionStages: ["AWSCURRENT"],
        CreatedDate: 1_700_000_000,
      }),
    };
  };
}

function amzError(status: number, type: string, message: string): StubReply {
  return { status, headers: AMZ_JSON, body: JSON.stringify({ __type: type, message }) };
}

/** Environment for the real AWS SDK client to reach the stand-in with dummy credentials. */
export function awsEnvironment(secretsManagerUrl: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManagerUrl,
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "AKIAFORWARDERTEST",
    AWS_SECRET_ACCESS_KEY: "forwarder-test-secret-access-key",
    AWS_EC2_METADATA_DISABLED: "true",
    // The SDK warns once per process that it will need Node 22; Lambda runs 22+, and it is noise here.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}

/** Tinybird's Events API answer for a stored row (`wait=true`). */
export function tinybirdStored(quarantinedRows = 0): StubReply {
  return { status: 200, body: { successful_rows: 1 - quarantinedRows, quarantined_rows: quarantinedRows } };
}

export interface SignedEventOptions {
  secret?: string;
  /** Signs with every secret given (a rotation: Svix sends one signature per live secret). */
  secrets?: string[];
  id?: string;
  /** When it was signed; now by default. */
  signedAt?: Date;
  /** Send the body base64-encoded, as API Gateway does for non-text content types. */
  base64?: boolean;
  /** `webhook-*` (Standard Webhooks) header names instead of `svix-*`. */
  headerPrefix?: "svix" | "webhook";
  /** Header-name spelling: as given, or upper-cased first letters (`Svix-Id`). */
  headerCase?: "lower" | "title";
  method?: string;
  contentType?: string;
}

/**
 * svix's own signature; svix 2 refuses to sign with an empty key (`whsec_`), which a forger could
 * still use, so that one is made with the HMAC svix would compute.
 */
function signWith(secret: string, id: string, signedAt: Date, raw: string): string {
  if (secret.replace(/^whsec_/, "") !== "") return new Webhook(secret).sign(id, signedAt, raw);
  const timestamp = Math.floor(signedAt.getTime() / 1000);
  return `v1,${createHmac("sha256", Buffer.alloc(0)).update(`${id}.${timestamp}.${raw}`).digest("base64")}`;
}

/** An API Gateway event carrying `body` (an object is serialised once, then signed as sent). */
export function signedEvent(body: unknown, options: SignedEventOptions = {}): APIGatewayProxyEventV2 {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  const id = options.id ?? `msg_${Math.random().toString(36).slice(2, 14)}`;
  const signedAt = options.signedAt ?? new Date();
  const secrets = options.secrets ?? [options.secret ?? SIGNING_SECRET];
  const signature = secrets.map((secret) => signWith(secret, id, signedAt, raw)).join(" ");
  const prefix = options.headerPrefix ?? "svix";
  return apiGatewayEvent(
    raw,
    {
      [`${prefix}-id`]: id,
      [`${prefix}-timestamp`]: String(Math.floor(signedAt.getTime() / 1000)),
      [`${prefix}-signature`]: signature,
    },
    options,
  );
}

/** An API Gateway event with exactly these signature headers (for malformed-request cases). */
export function apiGatewayEvent(
  raw: string,
  signatureHeaders: Record<string, string>,
  options: Pick<SignedEventOptions, "base64" | "headerCase" | "method" | "contentType"> = {},
): APIGatewayProxyEventV2 {
  const cased = (name: string) =>
    options.headerCase === "title"
      ? name.replace(/(^|-)([a-z])/g, (_, dash, c: string) => dash + c.toUpperCase())
      : name;
  const headers: Record<string, string> = {
    "content-type": options.contentType ?? (options.base64 ? "application/octet-stream" : "application/json"),
    "user-agent": "Svix-Webhooks/1.99",
  };
  for (const [name, value] of Object.entries(signatureHeaders)) headers[name] = value;
  const event = toApiGatewayEvent({ method: options.method ?? "POST", url: "/", headers, body: raw });
  // API Gateway lower-cases header names; a caller that doesn't is what the title case checks.
  if (options.headerCase === "title") {
    event.headers = Object.fromEntries(Object.entries(event.headers).map(([k, v]) => [cased(k), v]));
  }
  return event;
}
