/**
 * Every way a request can end, as a value with a kind, and the ONE place that turns a kind into the
 * HTTP answer Svix gets. Svix retries anything that is not 2xx, so the statuses below decide what
 * is lost: only an event Tinybird acknowledged gets a 2xx.
 */
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/** Ends decided by the request itself, before anything is trusted. */
export type RequestOutcome =
  | { kind: "source_not_allowed" }
  | { kind: "method_not_allowed"; method: string }
  | { kind: "missing_headers"; missing: string[] }
  | { kind: "payload_too_large"; bytes: number }
  | { kind: "signature_mismatch" }
  | { kind: "timestamp_out_of_tolerance" }
  | { kind: "invalid_payload"; detail: string };

/** Ends decided by the forwarder's own set-up: environment, secret value, Secrets Manager. */
export type SetupOutcome =
  | { kind: "secrets_unavailable"; detail: string }
  | { kind: "misconfigured"; detail: string };

/** Ends decided by Tinybird's answer to the Events API call. */
export type TinybirdOutcome =
  | { kind: "forwarded"; tinybirdStatus: number }
  | { kind: "quarantined"; tinybirdStatus: number; quarantinedRows: number }
  | { kind: "accepted_unconfirmed"; tinybirdStatus: number }
  | { kind: "tinybird_rejected_token"; tinybirdStatus: number; detail: string }
  | { kind: "tinybird_workspace_not_found"; tinybirdStatus: number; detail: string }
  | { kind: "tinybird_data_source_missing"; tinybirdStatus: number; detail: string }
  | { kind: "tinybird_rejected_request"; tinybirdStatus: number; detail: string }
  | { kind: "tinybird_partial_write"; tinybirdStatus: number; detail: string }
  | { kind: "tinybird_rate_limited"; tinybirdStatus: number; retryAfterSeconds?: number }
  | { kind: "tinybird_unavailable"; tinybirdStatus: number; retryAfterSeconds?: number }
  | { kind: "tinybird_unreachable"; detail: string }
  | { kind: "tinybird_timeout"; timeoutMs: number };

export type Outcome =
  | RequestOutcome
  | SetupOutcome
  | TinybirdOutcome
  | { kind: "internal_error"; detail: string };

export type OutcomeKind = Outcome["kind"];
export type LogLevel = "info" | "warn" | "error";

interface Answer {
  status: number;
  level: LogLevel;
  /** What the caller (Svix, or whoever sent the request) reads: short, never a configuration detail. */
  message: string;
}

/**
 * Why these statuses (nothing verified is ever answered 4xx, so Svix keeps every event it sent):
 * - Tinybird 400 and 413 cannot be caused by Clerk (our line is valid JSON well under Tinybird's
 *   10 MB limit; rows that don't fit the schema are quarantined with a 200), so they mean the data
 *   source or workspace is set up wrong: 500, an operator fixes it while Svix retries.
 * - Tinybird 422 means a materialized view failed after the row landed: retrying may write the row
 *   twice, but `event_id` is the dedup key and a duplicate can be removed while a loss cannot, so 503.
 * - 202 means Tinybird queued the row without confirming it (wait=true should prevent that); it has
 *   taken the row, and a retry would duplicate it, so 200 with a warning.
 */
const ANSWERS: Record<OutcomeKind, Answer> = {
  forwarded: { status: 200, level: "info", message: "Tinybird stored the event" },
  quarantined: {
    status: 200,
    level: "warn",
    message: "Tinybird stored the event in the data source's quarantine",
  },
  accepted_unconfirmed: { status: 200, level: "warn", message: "Tinybird accepted the event" },
  source_not_allowed: {
    status: 403,
    level: "warn",
    message: "Requests are accepted from the webhook sender's addresses only",
  },
  method_not_allowed: { status: 405, level: "warn", message: "Only POST is accepted" },
  missing_headers: {
    status: 400,
    level: "warn",
    message: "The svix-id, svix-timestamp and svix-signature headers are required",
  },
  payload_too_large: { status: 413, level: "warn", message: "The body is over the forwarder's limit" },
  signature_mismatch: { status: 401, level: "warn", message: "The signature does not match" },
  timestamp_out_of_tolerance: {
    status: 401,
    level: "warn",
    message: "The signature's timestamp is more than 5 minutes from now",
  },
  invalid_payload: { status: 400, level: "warn", message: "The body is not a JSON object" },
  secrets_unavailable: {
    status: 503,
    level: "error",
    message: "The forwarder could not read its secret; retry later",
  },
  misconfigured: { status: 500, level: "error", message: "The forwarder is misconfigured; see its logs" },
  tinybird_rejected_token: {
    status: 500,
    level: "error",
    message: "Tinybird rejected the forwarder's token; see its logs",
  },
  tinybird_workspace_not_found: {
    status: 500,
    level: "error",
    message: "Tinybird does not know the forwarder's workspace; see its logs",
  },
  tinybird_data_source_missing: {
    status: 500,
    level: "error",
    message: "Tinybird does not have the data source; see the forwarder's logs",
  },
  tinybird_rejected_request: {
    status: 500,
    level: "error",
    message: "Tinybird rejected the request; see the forwarder's logs",
  },
  tinybird_partial_write: {
    status: 503,
    level: "error",
    message: "Tinybird failed part-way; retry later",
  },
  tinybird_rate_limited: { status: 503, level: "warn", message: "Tinybird is rate-limiting; retry later" },
  tinybird_unavailable: { status: 503, level: "error", message: "Tinybird is failing; retry later" },
  tinybird_unreachable: { status: 503, level: "error", message: "Tinybird is unreachable; retry later" },
  tinybird_timeout: { status: 503, level: "error", message: "Tinybird did not answer in time; retry later" },
  internal_error: { status: 500, level: "error", message: "The forwarder failed unexpectedly" },
};

/**
 * Ends that describe the forwarder's own state. A request whose signature was not checked (or did not
 * match) must not learn which: its answer keeps the status (5xx, so Svix retries a real delivery and
 * the alarms count it) with UNVERIFIED_FAILURE as its body; the log line keeps the real kind.
 */
const STATE_REVEALING: ReadonlySet<OutcomeKind> = new Set([
  "misconfigured",
  "secrets_unavailable",
  "internal_error",
]);
const UNVERIFIED_FAILURE = { code: "unavailable", message: "The forwarder cannot take requests now" };

/** Seconds Svix is told to wait on a 503 when the cause gave no better figure. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

export function levelOf(outcome: Outcome): LogLevel {
  return ANSWERS[outcome.kind].level;
}

/**
 * The one mapping from an outcome to the HTTP answer: status, `{code, message}` body, headers.
 * `verified`: the request's signature matched; when it did not, a failure of the forwarder's own set-up
 * is answered without saying which.
 */
export function toResponse(
  outcome: Outcome,
  { verified }: { verified: boolean },
): APIGatewayProxyStructuredResultV2 & { statusCode: number } {
  const hidden = !verified && STATE_REVEALING.has(outcome.kind);
  const answer = ANSWERS[outcome.kind];
  const status = answer.status;
  const { code, message } = hidden ? UNVERIFIED_FAILURE : { code: outcome.kind, message: answer.message };
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (status === 503) {
    const seconds = "retryAfterSeconds" in outcome ? outcome.retryAfterSeconds : undefined;
    headers["retry-after"] = String(seconds ?? DEFAULT_RETRY_AFTER_SECONDS);
  }
  if (status === 405) headers.allow = "POST";
  return { statusCode: status, headers, body: JSON.stringify({ code, message }) };
}
