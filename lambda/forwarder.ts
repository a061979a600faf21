/**
 * The forwarder's handler, built from its dependencies so tests and `npm run dev` can give it
 * stand-ins: read the request, verify it with the cached secret (once more with a re-read secret if
 * the signature fails or the cached value is unusable), redact, append to Tinybird (once more with a
 * re-read token if Tinybird refuses it), then answer through the one outcome → HTTP mapping and log
 * one line. It never throws.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { ForwarderConfig } from "./config";
import { eventRow } from "./event-row";
import type { LogFields, Logger } from "./logger";
import { levelOf, type Outcome, toResponse } from "./outcome";
import { createRedactor, type Redactor } from "./redaction";
import { messageIdOf, readSignedRequest, type SignedRequest } from "./request";
import type { ForwarderSecret, SecretSource } from "./secrets";
import type { TinybirdClient } from "./tinybird";
import { createVerifier, type Verifier } from "./verify";

export type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export interface ForwarderDeps {
  config: ForwarderConfig;
  secrets: SecretSource;
  tinybird: TinybirdClient;
  logger: Logger;
  now?: () => number;
  /** Longest wait for one Tinybird call. */
  tinybirdTimeoutMs?: number;
  /**
   * Time from receipt by which every request is answered: no Tinybird call runs past it and no
   * secret re-read starts that could. Svix gives up after 15 s, and a reply it never sees is a retry
   * anyway. Keep the Lambda timeout above it.
   */
  budgetMs?: number;
  /** The longest a secret read can take (0 for a source that never calls out). */
  secretReadMaxMs?: number;
}

export const DEFAULT_TINYBIRD_TIMEOUT_MS = 5_000;
export const DEFAULT_BUDGET_MS = 10_000;
// Less than this left: answer 503 at once rather than start a call that cannot finish.
const MIN_CALL_MS = 250;

/** What one request learned along the way, for its log line. */
interface Trace {
  eventType?: string;
  secretRefreshed: boolean;
  /** The signature was checked and matched: only then may the answer say why the forwarder failed. */
  verified: boolean;
}

/** Verification ends a newer secret value may turn out differently. */
const REREAD_CURES: ReadonlySet<Outcome["kind"]> = new Set(["signature_mismatch", "misconfigured"]);

type Checked = { ok: true; payload: unknown; prepared: Prepared } | { ok: false; outcome: Outcome };

/** Everything built from one secret value: rebuilt only when the value changes. */
interface Prepared {
  secret: ForwarderSecret;
  verify: Verifier;
  redact: Redactor;
}

export function createHandler(deps: ForwarderDeps): Handler {
  const now = deps.now ?? Date.now;
  const tinybirdTimeoutMs = deps.tinybirdTimeoutMs ?? DEFAULT_TINYBIRD_TIMEOUT_MS;
  const budgetMs = deps.budgetMs ?? DEFAULT_BUDGET_MS;
  const secretReadMaxMs = deps.secretReadMaxMs ?? 0;
  const { config } = deps;
  const secretName = config.secretId ?? "(from the environment)";
  let last: { secret: ForwarderSecret; result: Prepared | Outcome } | undefined;

  function prepare(secret: ForwarderSecret): Prepared | Outcome {
    if (last?.secret === secret) return last.result;
    last = { secret, result: build(secret) };
    return last.result;
  }

  function build(secret: ForwarderSecret): Prepared | Outcome {
    const verifier = createVerifier(secret.signingSecret);
    if (!verifier.ok) return { kind: "misconfigured", detail: `secret ${secretName}: ${verifier.detail}` };
    if (config.pseudonymize && !secret.pseudonymizationKey) {
      return {
        kind: "misconfigured",
        detail:
          `PSEUDONYMIZE_PERSONAL_DATA is true but secret ${secretName} has no "pseudonymizationKey": ` +
          "add one (e.g. `openssl rand -base64 32`) or set PSEUDONYMIZE_PERSONAL_DATA=false",
      };
    }
    try {
      const redact = createRedactor({
        extraPaths: config.redactPaths,
        redactPrivateMetadata: config.redactPrivateMetadata,
        ...(config.pseudonymize ? { pseudonymizationKey: secret.pseudonymizationKey } : {}),
      });
      return { secret, verify: verifier.verify, redact };
    } catch (error) {
      return {
        kind: "misconfigured",
        detail: `redaction (REDACT_PATHS, pseudonymizationKey): ${errorText(error)}`,
      };
    }
  }

  async function forward(event: APIGatewayProxyEventV2, receivedAt: number, trace: Trace): Promise<Outcome> {
    // First, before any secret is read: a flood from outside the allowlist costs no Secrets Manager call.
    if (!config.allowSource(event.requestContext?.http?.sourceIp)) return { kind: "source_not_allowed" };
    const read = readSignedRequest(event);
    if (!read.ok) return read.outcome;
    const left = () => receivedAt + budgetMs - now();
    const verified = await verify(read.request, left, trace);
    if (!verified.ok) return verified.outcome;
    trace.verified = true;

    const payload = verified.payload;
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
      return { kind: "invalid_payload", detail: "the verified body is JSON but not an object" };
    }
    const clerkEvent = payload as Record<string, unknown>;
    if (typeof clerkEvent.type === "string") trace.eventType = clerkEvent.type.slice(0, 100);

    const { prepared } = verified;
    const line = JSON.stringify(eventRow(prepared.redact(clerkEvent), read.request.id, receivedAt));
    return append(line, prepared.secret, left, trace);
  }

  /**
   * Verifies with the cached secret, and once more with a re-read one if the signature fails (the
   * signing secret may have been rotated) or the cached value cannot be used (an operator may have
   * fixed it since: without a re-read a warm container would answer 500 until Lambda retired it).
   */
  async function verify(request: SignedRequest, left: () => number, trace: Trace): Promise<Checked> {
    const cached = await deps.secrets.get();
    if (!cached.ok) return { ok: false, outcome: cached.failure };
    const first = verifyWith(cached.secret, request);
    if (first.ok || !REREAD_CURES.has(first.outcome.kind) || left() <= secretReadMaxMs) return first;
    const newer = await deps.secrets.refresh(cached.secret);
    if (!newer) return first;
    trace.secretRefreshed = true;
    return verifyWith(newer, request);
  }

  function verifyWith(secret: ForwarderSecret, request: SignedRequest): Checked {
    const prepared = prepare(secret);
    if (!("verify" in prepared)) return { ok: false, outcome: prepared };
    const verification = prepared.verify(request);
    return verification.ok ? { ok: true, payload: verification.payload, prepared } : verification;
  }

  /** Appends the line, and once more with a re-read token if Tinybird refuses the cached one. */
  async function append(
    line: string,
    secret: ForwarderSecret,
    left: () => number,
    trace: Trace,
  ): Promise<Outcome> {
    const send = (token: string): Promise<Outcome> => {
      const ms = left();
      if (ms < MIN_CALL_MS) return Promise.resolve({ kind: "tinybird_timeout", timeoutMs: 0 });
      return deps.tinybird.append(line, token, Math.min(tinybirdTimeoutMs, ms));
    };
    const outcome = await send(secret.tinybirdToken);
    // A re-read that could outlast the budget is not started: the 500 stands and Svix retries.
    if (outcome.kind !== "tinybird_rejected_token" || left() <= secretReadMaxMs) return outcome;
    // The token may have been rotated since it was cached.
    const newer = await deps.secrets.refresh(secret);
    if (!newer || newer.tinybirdToken === secret.tinybirdToken) return outcome;
    trace.secretRefreshed = true;
    return send(newer.tinybirdToken);
  }

  return serve(deps.logger, now, forward);
}

/**
 * A handler for a container whose environment is wrong: every request answers 500 without saying why
 * (none is verified) and its log line says which variable to fix.
 */
export function createMisconfiguredHandler(problems: string[], logger: Logger, now = Date.now): Handler {
  const outcome: Outcome = { kind: "misconfigured", detail: problems.join("; ") };
  return serve(logger, now, async () => outcome);
}

function serve(
  logger: Logger,
  now: () => number,
  forward: (event: APIGatewayProxyEventV2, receivedAt: number, trace: Trace) => Promise<Outcome>,
): Handler {
  let coldStart = true;
  return async (event) => {
    const receivedAt = now();
    const trace: Trace = { secretRefreshed: false, verified: false };
    let outcome: Outcome;
    try {
      outcome = await forward(event, receivedAt, trace);
    } catch (error) {
      outcome = { kind: "internal_error", detail: errorText(error) };
    }
    const response = toResponse(outcome, { verified: trace.verified });
    try {
      logger.log(levelOf(outcome), "webhook handled", {
        request_id: event?.requestContext?.requestId,
        cold_start: coldStart,
        event_id: messageIdOf(event),
        event_type: trace.eventType,
        outcome: outcome.kind,
        status: response.statusCode,
        latency_ms: now() - receivedAt,
        secret_refreshed: trace.secretRefreshed,
        ...details(outcome),
        retry_after: response.headers?.["retry-after"] as string | undefined,
      });
    } catch {
      // A log line that cannot be written must not turn a stored event into a failure.
    }
    coldStart = false;
    return response;
  };
}

/** The outcome's own fields worth a log key; all are figures or operator messages, never payload. */
function details(outcome: Outcome): LogFields {
  const fields: LogFields = {};
  if ("tinybirdStatus" in outcome) fields.tinybird_status = outcome.tinybirdStatus;
  if ("quarantinedRows" in outcome) fields.quarantined_rows = outcome.quarantinedRows;
  if ("detail" in outcome) fields.detail = outcome.detail;
  if ("missing" in outcome) fields.missing = outcome.missing.join(",");
  if ("bytes" in outcome) fields.bytes = outcome.bytes;
  if ("method" in outcome) fields.method = outcome.method.slice(0, 16);
  return fields;
}

function errorText(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}`.slice(0, 300)
    : String(error).slice(0, 300);
}
