/**
 * What every command shares besides its runner (command-runner.ts): the error base, retry, the
 * credential scrubber, reading a result line. `local.Command` stores a provisioning command's stdout
 * in the stack's state and prints the command string and all its output when it fails, so: the result
 * is one JSON line on stdout, a failure is one human message on stderr, and neither ever carries a
 * credential that came in through the environment.
 */

/** What a failure says about trying again, and what caused it. */
export interface FailureTraits {
  /** Worth another try: no answer, rate-limited, or the service's own fault (429, 5xx). */
  transient?: boolean;
  /** A server-given delay (Retry-After, X-RateLimit-Reset). */
  retryAfterMs?: number;
  /**
   * The error underneath (a client's exception, a network fault), for a debugger: never printed by a
   * command, whose message already names the cause in words. Leave it out where that error may quote
   * a credential the message was scrubbed of.
   */
  cause?: unknown;
}

/**
 * The one error base of every command and of the homes they share: a failure a person reads (what
 * happened and what to do about it), whether another try may help and after how long, and its cause,
 * so one retry helper and one runner serve every side. Anything else thrown is a bug.
 */
export class CommandError extends Error {
  override name = "CommandError";
  readonly transient: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, traits: FailureTraits = {}) {
    super(message, traits.cause === undefined ? undefined : { cause: traits.cause });
    this.transient = traits.transient ?? false;
    this.retryAfterMs = traits.retryAfterMs;
  }
}

/**
 * Why fetch (undici) got no answer at all: "timed out", or the system's code (`ECONNREFUSED`,
 * `ENOTFOUND`, …); undefined for any other error, which is not the network's but a bug.
 */
export function networkCause(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === "TimeoutError" || error.name === "AbortError") return "timed out";
  if (error instanceof TypeError && (error.message === "fetch failed" || error.cause !== undefined)) {
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    return String(cause?.code ?? cause?.message ?? error.message);
  }
  return undefined;
}

/**
 * `doFetch(url, init)`, with no answer at all (refused, reset, DNS, timed out) thrown as a transient
 * CommandError "Could not reach <where> (<why>)", fetch's error as its cause, for withRetry to try
 * again. Only for requests whose URL holds no credential: the cause quotes it.
 */
export async function fetchAnswer(
  doFetch: typeof fetch,
  url: string | URL,
  init: RequestInit,
  where: string,
): Promise<Response> {
  try {
    return await doFetch(url, init);
  } catch (error) {
    const why = networkCause(error) ?? (error instanceof Error ? error.name : String(error));
    throw new CommandError(`Could not reach ${where} (${why})`, { transient: true, cause: error });
  }
}

/** Whether a failure is a transient CommandError: the retry helper's default. */
export function isTransient(error: unknown): boolean {
  return error instanceof CommandError && error.transient;
}

/** Reads a required environment variable, or fails naming the stack setting that provides it. */
export function requireEnv(name: string, fix: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === "") {
    throw new CommandError(`${name} is not set: ${fix}`);
  }
  return value;
}

/** How many tries and how long between them; tests pass their own sleep. */
export interface RetryPolicy {
  /** Total tries, the first included. */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RetryOptions extends RetryPolicy {
  /** Whether a failure is worth another try; default: a transient CommandError. */
  isRetryable?: (error: unknown) => boolean;
  /** A server-given delay; default: the CommandError's retryAfterMs. */
  retryAfterMs?: (error: unknown) => number | undefined;
}

/** The one wait of every provisioning command (tests pass their own). */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Anything shaped like a Tinybird token (`p.` then a JWT-like body), whoever's message quotes it. */
const TINYBIRD_TOKEN_SHAPE = /\bp\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]+)*/g;

/**
 * The one credential scrubber: replaces every credential in `secrets` found in `text` with
 * `[redacted]`, and anything shaped like a Tinybird token with `p.[redacted]`: messages go to stderr,
 * which `pulumi up` prints. Values shorter than 8 characters are left alone: they would redact
 * ordinary words, and no real credential is that short.
 */
export function scrubSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= 8) out = out.split(secret).join("[redacted]");
  return out.replace(TINYBIRD_TOKEN_SHAPE, "p.[redacted]");
}

/** Exponential backoff with full jitter; honours Retry-After up to the cap. */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const attempts = options.attempts ?? 5;
  const base = options.baseDelayMs ?? 500;
  const cap = options.maxDelayMs ?? 10_000;
  const wait = options.sleep ?? sleep;
  const isRetryable = options.isRetryable ?? isTransient;
  const retryAfterMs =
    options.retryAfterMs ?? ((error) => (error instanceof CommandError ? error.retryAfterMs : undefined));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
      const hinted = retryAfterMs(error);
      const backoff = Math.random() * Math.min(cap, base * 2 ** (attempt - 1));
      await wait(Math.min(cap, hinted ?? backoff));
    }
  }
}

/**
 * What a command printed through `resultCommand` (command-runner.ts): the JSON object on the last
 * line of its stdout, or undefined. Callers never quote the text when this fails: it may hold the
 * result's secrets.
 */
export function parseResultLine(stdout: string | undefined): Record<string, unknown> | undefined {
  const last = (stdout ?? "").trim().split("\n").pop() ?? "";
  try {
    const parsed = JSON.parse(last) as unknown;
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
