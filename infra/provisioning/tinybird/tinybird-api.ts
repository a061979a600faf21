/**
 * A small client for Tinybird's admin APIs over plain fetch: the token travels only in the
 * Authorization header, transient failures (429, 5xx, network) are retried with backoff and
 * Retry-After, and every failure becomes a message with the status, Tinybird's text and the fix.
 */

import { CommandError, networkCause, scrubSecrets, withRetry } from "../../../command-kit/command-shell";
import { serverDelayMs } from "../../../lambda/retry-after";
import { likelyFix } from "./diagnosis";

export interface TinybirdApiOptions {
  /** API host, e.g. `https://api.tinybird.co` (no trailing slash needed). */
  host: string;
  token: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Tries per request, the first included. */
  attempts?: number;
  timeoutMs?: number;
}

export interface RequestOptions {
  query?: Record<string, string>;
  form?: URLSearchParams;
  json?: unknown;
  multipart?: FormData;
  /** The scope the call needs, named in a 403's fix. */
  scope?: string;
  /** Statuses that are answers rather than failures (e.g. 404 on a lookup). */
  accept?: number[];
}

export interface ApiResponse {
  status: number;
  /** Parsed JSON when the body is JSON, else the text. */
  body: unknown;
  text: string;
}

/** A non-2xx answer. `detail` is Tinybird's own error text, secrets removed. */
export class TinybirdHttpError extends CommandError {
  override name = "TinybirdHttpError";
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly detail: string,
    fix: string,
    retryAfterMs?: number,
  ) {
    super(`Tinybird answered ${status} to ${method} ${path}: ${detail}${fix ? `. Fix: ${fix}` : ""}`, {
      transient: status === 429 || status >= 500,
      retryAfterMs,
    });
  }
}

/** No answer at all: DNS, refused connection, reset, timeout; `cause` is fetch's own error. */
export class TinybirdNetworkError extends CommandError {
  override name = "TinybirdNetworkError";
  constructor(message: string, cause: unknown) {
    super(message, { transient: true, cause });
  }
}

/** Tinybird's error text from a response body: `error`, `errors[]`, or a deployment's ERROR feedback. */
export function tinybirdErrorText(body: unknown, text: string): string {
  const parts: string[] = [];
  if (body && typeof body === "object") {
    const b = body as {
      error?: unknown;
      errors?: unknown;
      deployment?: { errors?: unknown; feedback?: unknown };
    };
    if (typeof b.error === "string") parts.push(b.error);
    for (const list of [b.errors, b.deployment?.errors]) {
      if (!Array.isArray(list)) continue;
      for (const e of list as { filename?: string; error?: unknown }[]) {
        const message = typeof e === "string" ? e : String(e.error ?? JSON.stringify(e));
        parts.push(e && typeof e === "object" && e.filename ? `${e.filename}: ${message}` : message);
      }
    }
    if (Array.isArray(b.deployment?.feedback)) {
      for (const f of b.deployment.feedback as {
        level?: string;
        resource?: string | null;
        message?: string;
      }[]) {
        if (String(f.level).toUpperCase() === "ERROR")
          parts.push(`${f.resource ? `${f.resource}: ` : ""}${f.message}`);
      }
    }
  }
  if (parts.length > 0) return [...new Set(parts)].join("; ");
  const trimmed = text.trim();
  return trimmed ? trimmed.slice(0, 500) : "(empty answer)";
}

/**
 * The most of one answer read: the largest Tinybird sends this code (a workspace's list of pipes or
 * deployments) is well under a megabyte; past this the host is not behaving as Tinybird does.
 */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** The body as text, refusing to buffer more than `max` bytes. */
async function readCapped(response: Response, max: number, what: string): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new CommandError(
        `Tinybird's answer to ${what} is over ${max / 1024 / 1024} MiB, far more than Tinybird sends: ` +
          "check tinybirdHost is Tinybird's API host",
      );
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export class TinybirdApi {
  readonly host: string;
  private readonly token: string;
  private readonly fetchFn: typeof fetch;
  private readonly sleep?: (ms: number) => Promise<void>;
  private readonly attempts: number;
  private readonly timeoutMs: number;

  constructor(options: TinybirdApiOptions) {
    this.host = options.host.replace(/\/+$/, "");
    this.token = options.token;
    this.fetchFn = options.fetch ?? fetch;
    this.sleep = options.sleep;
    this.attempts = options.attempts ?? 5;
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  /** Sends one request, retrying transient failures; resolves on 2xx or an accepted status. */
  request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    return withRetry(() => this.once(method, path, options), {
      attempts: this.attempts,
      ...(this.sleep ? { sleep: this.sleep } : {}),
    });
  }

  private async once(method: string, path: string, options: RequestOptions): Promise<ApiResponse> {
    const url = new URL(path, `${this.host}/`);
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    let body: RequestInit["body"];
    if (options.form) body = options.form;
    else if (options.multipart) body = options.multipart;
    else if (options.json !== undefined) {
      // Exactly this value: Tinybird's Pipes API reads a JSON body only when the header equals
      // "application/json" (APIPipeListHandler.prepare); with a charset it ignores the body.
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    }

    let response: Response;
    try {
      response = await this.fetchFn(url, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const reason = networkCause(error) ?? (error instanceof Error ? error.message : String(error));
      throw new TinybirdNetworkError(
        `could not reach Tinybird at ${this.host} for ${method} ${url.pathname}: ${scrubSecrets(reason, [this.token])}. ` +
          "Fix: check tinybirdHost is the workspace's API host and that this machine can reach it",
        error,
      );
    }
    const text = await readCapped(response, MAX_ANSWER_BYTES, `${method} ${url.pathname}`);
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: keep the text.
    }
    if (response.ok || options.accept?.includes(response.status))
      return { status: response.status, body: parsed, text };

    const detail = scrubSecrets(tinybirdErrorText(parsed, text), [this.token]);
    throw new TinybirdHttpError(
      response.status,
      method,
      url.pathname,
      detail,
      likelyFix(response.status, detail, { host: this.host, scope: options.scope }),
      serverDelayMs({
        retryAfter: response.headers.get("retry-after"),
        rateLimitReset: response.headers.get("x-ratelimit-reset"),
      }),
    );
  }
}
