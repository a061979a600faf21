/**
 * The forwarder's secret value and its per-container cache. The cache reads once, shares one
 * in-flight read between concurrent callers, and re-reads on demand (a signature that fails, a token
 * Tinybird refuses, a value the forwarder cannot use: the secret may have been rotated or fixed) at
 * most once per cooldown, so a flood of forged
 * requests costs at most one Secrets Manager call per cooldown.
 */

export interface ForwarderSecret {
  tinybirdToken: string;
  signingSecret: string;
  pseudonymizationKey?: string;
}

export type SecretFailure =
  /** Secrets Manager is down, throttling or unreachable: worth a retry. */
  | { kind: "secrets_unavailable"; detail: string }
  /** The secret is missing, forbidden or malformed: an operator must fix it. */
  | { kind: "misconfigured"; detail: string };

export type SecretRead = { ok: true; secret: ForwarderSecret } | { ok: false; failure: SecretFailure };

export interface SecretSource {
  /** The cached value, or the first read's result. */
  get(): Promise<SecretRead>;
  /**
   * Asks for a value newer than `stale`. Resolves to it when a re-read (or a concurrent caller's)
   * found a different value; undefined when the value is unchanged, the cooldown forbids a re-read,
   * or the re-read failed (the cached value stays in use).
   */
  refresh(stale: ForwarderSecret): Promise<ForwarderSecret | undefined>;
}

/** How the secret's JSON must look, for messages that name the fix. */
export const SECRET_SHAPE =
  '{"tinybirdToken": "p.…", "signingSecret": "whsec_…", "pseudonymizationKey"?: "…"}';

/** Parses a SecretString; failures name the key at fault and never echo the value. */
export function parseSecret(text: string, secretName: string): SecretRead {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return misconfigured(`secret ${secretName} is not JSON: store ${SECRET_SHAPE}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return misconfigured(`secret ${secretName} is not a JSON object: store ${SECRET_SHAPE}`);
  }
  const fields = value as Record<string, unknown>;
  for (const key of ["tinybirdToken", "signingSecret"]) {
    if (typeof fields[key] !== "string" || fields[key] === "") {
      return misconfigured(`secret ${secretName} has no "${key}" string: store ${SECRET_SHAPE}`);
    }
  }
  const key = fields.pseudonymizationKey;
  if (key !== undefined && (typeof key !== "string" || key === "")) {
    return misconfigured(`secret ${secretName} has a "pseudonymizationKey" that is not a non-empty string`);
  }
  return {
    ok: true,
    secret: {
      tinybirdToken: fields.tinybirdToken as string,
      signingSecret: fields.signingSecret as string,
      ...(typeof key === "string" ? { pseudonymizationKey: key } : {}),
    },
  };
}

function misconfigured(detail: string): SecretRead {
  return { ok: false, failure: { kind: "misconfigured", detail } };
}

export interface SecretCacheOptions {
  /** Minimum time between two reads that a refresh may start. */
  refreshCooldownMs?: number;
  now?: () => number;
}

export const DEFAULT_REFRESH_COOLDOWN_MS = 30_000;

export function createSecretCache(
  read: () => Promise<SecretRead>,
  options: SecretCacheOptions = {},
): SecretSource {
  const cooldownMs = options.refreshCooldownMs ?? DEFAULT_REFRESH_COOLDOWN_MS;
  const now = options.now ?? Date.now;
  let cached: ForwarderSecret | undefined;
  let inFlight: Promise<SecretRead> | undefined;
  let lastReadAt = Number.NEGATIVE_INFINITY;

  const load = (): Promise<SecretRead> => {
    if (!inFlight) {
      lastReadAt = now();
      inFlight = read()
        .then((result): SecretRead => {
          if (!result.ok) return result;
          // An unchanged value keeps its identity, so whatever was built from it stays valid.
          if (!cached || !sameSecret(cached, result.secret)) cached = result.secret;
          return { ok: true, secret: cached };
        })
        .finally(() => {
          inFlight = undefined;
        });
    }
    return inFlight;
  };

  return {
    get: () => (cached ? Promise.resolve({ ok: true, secret: cached }) : load()),
    async refresh(stale) {
      if (cached && cached !== stale) return cached;
      if (!inFlight && now() - lastReadAt < cooldownMs) return undefined;
      const result = await load();
      return result.ok && result.secret !== stale ? result.secret : undefined;
    },
  };
}

/** A source that always holds the same value (npm run dev: secrets from environment variables). */
export function staticSecretSource(secret: ForwarderSecret): SecretSource {
  return {
    get: () => Promise.resolve({ ok: true, secret }),
    refresh: () => Promise.resolve(undefined),
  };
}

function sameSecret(a: ForwarderSecret, b: ForwarderSecret): boolean {
  return (
    a.tinybirdToken === b.tinybirdToken &&
    a.signingSecret === b.signingSecret &&
    a.pseudonymizationKey === b.pseudonymizationKey
  );
}
