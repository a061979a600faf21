/**
 * One vocabulary for what went wrong talking to Clerk or Svix, whichever client raised it, and the
 * single place that decides what is worth retrying and how the final message reads: the status,
 * the service's own code and words, what we were doing, and what to do about it.
 */
import { isClerkAPIResponseError } from "@clerk/backend/errors";
import { ApiException } from "svix";
import { CommandError, networkCause, type RetryPolicy, withRetry } from "../command-kit/command-shell";
import { parseRetryAfter } from "../lambda/retry-after";
import { undocumentedFlow } from "./svix-login";

export type Service = "Clerk" | "Svix";

export interface Failure {
  service: Service;
  /** HTTP status; absent when no answer arrived. */
  status?: number;
  /** The service's error code (`authentication_invalid`, `not_found`, …). */
  code?: string;
  /** The service's own explanation. */
  detail?: string;
  retryAfterMs?: number;
  /** Why no answer arrived (connection refused, timeout). */
  cause?: string;
}

export interface Step {
  service: Service;
  /** What we asked for, as a phrase: "create the instance's Svix app (POST /v1/webhooks/svix)". */
  action: string;
  /** What a person should do about this failure. */
  fix: (failure: Failure) => string;
}

/** A failed step, described for the person running `pulumi up`. */
export class ServiceError extends CommandError {
  constructor(
    readonly step: Step,
    readonly failure: Failure,
    attempts: number,
    cause?: unknown,
  ) {
    super(describe(step, failure, attempts), {
      transient: isTransient(failure),
      retryAfterMs: failure.retryAfterMs,
      cause,
    });
  }
}

const MAX_DETAIL = 300;

function clip(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > MAX_DETAIL ? `${flat.slice(0, MAX_DETAIL)}…` : flat;
}

export function describe(step: Step, failure: Failure, attempts: number): string {
  const after = attempts > 1 ? ` (after ${attempts} attempts)` : "";
  const head =
    failure.status === undefined
      ? `Could not reach ${failure.service} (${failure.cause ?? "no answer"}) to ${step.action}${after}`
      : `${failure.service} answered ${failure.status}${failure.code ? ` ${failure.code}` : ""}` +
        `${failure.detail ? ` ("${clip(failure.detail)}")` : ""} when asked to ${step.action}${after}`;
  return `${head}. ${step.fix(failure)}`;
}

function textOf(value: unknown): string | undefined {
  if (typeof value === "string") return value === "" ? undefined : value;
  if (value === undefined || value === null) return undefined;
  return validationText(value) ?? JSON.stringify(value);
}

/**
 * Svix's 422 body is `{"detail": [{"loc": ["body", "eventTypes"], "msg": "…", "type": "value_error"}]}`
 * (svix-server error.rs, `HTTPValidationError` in its OpenAPI): read as `body.eventTypes: …`.
 */
function validationText(detail: unknown): string | undefined {
  if (!Array.isArray(detail) || detail.length === 0) return undefined;
  const items = detail.map((item: { loc?: unknown; msg?: unknown }) =>
    typeof item?.msg === "string"
      ? `${Array.isArray(item.loc) ? `${item.loc.join(".")}: ` : ""}${item.msg}`
      : undefined,
  );
  return items.every((i) => i !== undefined) ? items.join("; ") : undefined;
}

/** A failure from @clerk/backend (which reports network faults as status-less `unexpected_error`). */
export function clerkFailure(error: unknown): Failure | undefined {
  if (!isClerkAPIResponseError(error)) {
    const cause = networkCause(error);
    return cause ? { service: "Clerk", cause } : undefined;
  }
  const first = error.errors[0];
  const status = typeof error.status === "number" ? error.status : undefined;
  if (status === undefined) {
    return { service: "Clerk", cause: first?.message ?? "no answer" };
  }
  return {
    service: "Clerk",
    status,
    ...(first?.code ? { code: first.code } : {}),
    ...(first ? { detail: first.longMessage ?? first.message } : {}),
    ...(typeof error.retryAfter === "number" ? { retryAfterMs: error.retryAfter * 1000 } : {}),
  };
}

/** A failure from the svix client (`ApiException`) or from fetch under it. */
export function svixFailure(error: unknown): Failure | undefined {
  if (error instanceof ApiException) {
    const body = error.body as unknown;
    const fields = body && typeof body === "object" ? (body as Record<string, unknown>) : {};
    const code = typeof fields.code === "string" ? fields.code : undefined;
    const detail = typeof body === "string" ? textOf(body) : textOf(fields.detail);
    const retryAfterMs = parseRetryAfter(error.headers["retry-after"]);
    return {
      service: "Svix",
      status: error.code,
      ...(code ? { code } : {}),
      ...(detail ? { detail } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  const cause = networkCause(error);
  return cause ? { service: "Svix", cause } : undefined;
}

/** Worth another try: no answer, rate-limited, or the service's own fault. */
export function isTransient(failure: Failure): boolean {
  return failure.status === undefined || failure.status === 429 || failure.status >= 500;
}

/**
 * Runs one request with backoff on transient failures (Retry-After honoured), and turns the last
 * failure into a `ServiceError` that reads well. Errors that are not service failures pass through.
 */
export async function call<T>(step: Step, fn: () => Promise<T>, policy: RetryPolicy = {}): Promise<T> {
  const classify = step.service === "Clerk" ? clerkFailure : svixFailure;
  let attempts = 0;
  return withRetry(async () => {
    attempts += 1;
    try {
      return await fn();
    } catch (error) {
      const failure = classify(error);
      if (failure) throw new ServiceError(step, failure, attempts, error);
      // The svix client parses every answer as JSON: a 2xx that is not JSON is a changed API.
      if (error instanceof SyntaxError) {
        throw undocumentedFlow(`${step.service}'s answer when asked to ${step.action} was not JSON`);
      }
      throw error;
    }
  }, policy);
}

/** The failure behind an error, if it is a service's answer of `status` (e.g. a 404 that means "gone"). */
export function answered(error: unknown, status: number, code?: string): boolean {
  return (
    error instanceof ServiceError &&
    error.failure.status === status &&
    (code === undefined || error.failure.code === code)
  );
}
