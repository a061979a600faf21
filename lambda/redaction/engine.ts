/**
 * The redaction walk: one pass over the event building a copy, with every rule compiled beforehand (paths
 * into tries per event type, field names judged once and cached, the pseudonymisation key imported once).
 * Precedence for a value: a path, field or keep-only rule, then a secret field name, then pseudonymisation,
 * then secret-shaped values, then URL credentials.
 */
import {
  cached,
  classifyField,
  holdsReasonCode,
  isCredentialParameter,
  type PersonalKind,
} from "./field-names";
import { childNode, compilePaths, type PathNode, parsePath } from "./paths";
import { createPseudonymizer, identifierKind, isEmailAddress, type Pseudonymizer } from "./pseudonymize";
import { type RedactionRule, SECRET_VALUE_HINT, SECRET_VALUES } from "./rules";
import { redactUrlCredentials } from "./urls";

export interface EngineOptions {
  readonly rules: readonly RedactionRule[];
  readonly marker: string;
  readonly extraPaths?: readonly string[];
  readonly pseudonymizationKey?: string;
}

export type Redact = (event: Record<string, unknown>) => Record<string, unknown>;

/**
 * How deep the walk goes before a subtree becomes `TOO_DEEP`. Clerk's own payloads nest about six
 * levels; only user-controlled metadata can go deeper, and a few thousand levels would overflow the
 * walk's stack (and JSON.stringify's after it), answering 500 on every retry until the event is lost.
 * Replacing what cannot be inspected is also the only safe privacy choice for it.
 */
export const MAX_DEPTH = 64;
export const TOO_DEEP = "[nested too deep]";

/** null, `{}` and `[]` hold nothing to hide: a field rule keeps them, so "none" stays visible. */
function isEmpty(value: unknown): boolean {
  if (value === null || typeof value !== "object") return value === null;
  return Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
}

export function compileRedactor(options: EngineOptions): Redact {
  const { rules, marker } = options;
  const has = (kind: RedactionRule["kind"]) => rules.some((rule) => rule.kind === kind);
  const byName = has("field-name");
  const inUrls = has("url-credential");
  const secretValues = has("secret-value")
    ? new RegExp(SECRET_VALUES.map((shape) => `(?:${shape.pattern})`).join("|"), "g")
    : undefined;
  const secretHint = new RegExp(SECRET_VALUE_HINT);
  const wholeFields = new Set(rules.flatMap((rule) => (rule.kind === "field" ? rule.names : [])));
  const keptOnly = new Map<string, ReadonlySet<string>>(
    rules.flatMap((rule) =>
      rule.kind === "keep-only" ? rule.names.map((name) => [name, new Set(rule.keep)] as const) : [],
    ),
  );
  const classify = cached(classifyField);
  const isCredential = cached(isCredentialParameter);
  const reasonObjects = cached(holdsReasonCode);
  const pseudonymize: Pseudonymizer | undefined =
    options.pseudonymizationKey === undefined ? undefined : createPseudonymizer(options.pseudonymizationKey);
  // Personal data is recognised by field name whether or not the secret field-name rule is on.
  const judgeNames = byName || pseudonymize !== undefined;

  const extra = (options.extraPaths ?? []).filter((path) => path.trim() !== "").map(parsePath);
  const everyType = compilePaths(extra);
  const pathsByObject = new Map<string, string[][]>();
  for (const rule of rules) {
    if (rule.kind === "path") {
      pathsByObject.set(rule.object, [
        ...(pathsByObject.get(rule.object) ?? []),
        ...rule.paths.map(parsePath),
      ]);
    }
  }
  const byObject = new Map<string, PathNode | undefined>();
  for (const [object, paths] of pathsByObject) byObject.set(object, compilePaths([...paths, ...extra]));

  const redactString = (value: string, secret: boolean, personal: PersonalKind | undefined): string => {
    if (secret) return marker;
    if (pseudonymize && value !== "") {
      const kind = personal === "identifier" ? identifierKind(value) : personal;
      if (kind) return pseudonymize(kind, value);
      if (isEmailAddress(value)) return pseudonymize("email", value);
    }
    const shaped = secretValues && secretHint.test(value) ? value.replace(secretValues, marker) : value;
    return inUrls ? redactUrlCredentials(shaped, isCredential, marker) : shaped;
  };

  const walk = (
    value: unknown,
    path: PathNode | undefined,
    secret: boolean,
    personal: PersonalKind | undefined,
    depth: number,
    keep?: ReadonlySet<string>,
    reasons = false,
  ): unknown => {
    if (value === null) return null;
    if (path?.terminal) return marker;
    switch (typeof value) {
      case "string":
        return redactString(value, secret, personal);
      case "number":
        // An OTP can arrive as a number (`otp_code: 123456`); counts and timestamps never sit in a secret.
        return secret ? marker : value;
      case "object":
        if (depth >= MAX_DEPTH) return TOO_DEEP;
        break;
      default:
        return value;
    }
    if (Array.isArray(value)) {
      const copy: unknown[] = new Array(value.length);
      // Array elements inherit the field's meaning: `backup_codes: [...]`, `ip_addresses: [...]`.
      for (let i = 0; i < value.length; i++)
        copy[i] = walk(value[i], childNode(path, i), secret, personal, depth + 1, keep, reasons);
      return copy;
    }
    const source = value as Record<string, unknown>;
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(source)) {
      // `failed_reason.code` is the reason's code (`card_declined`), not a one-time code.
      const judged = judgeNames ? classify(key) : undefined;
      const field = judged && reasons && key === "code" ? { ...judged, secret: false } : judged;
      const value = source[key];
      // Inside a secret-named object every field is secret except the scalars describing it (`type`,
      // `expires_at`): an object or array can hold the secret again whatever its name (`provider: {…}`).
      const describes = field?.describesSecret === true && (typeof value !== "object" || value === null);
      const childSecret = byName && field ? (secret ? !describes : field.secret) : secret;
      // Inside a keep-only object (payment_source) a field off its list goes whatever it holds; null stays.
      const dropped = keep !== undefined && !keep.has(key) && value !== null;
      const child =
        dropped || (wholeFields.has(key) && !isEmpty(value))
          ? marker
          : walk(
              value,
              childNode(path, key),
              childSecret,
              field?.personal,
              depth + 1,
              keptOnly.get(key),
              judgeNames && reasonObjects(key),
            );
      if (key === "__proto__") {
        // JSON.parse makes "__proto__" an own key; plain assignment would set the copy's prototype instead.
        Object.defineProperty(copy, key, {
          value: child,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        copy[key] = child;
      }
    }
    return copy;
  };

  return (event) => {
    // Keyed on what the object is, not on the event type: a future `email.*` type carries it too.
    const data = event.data;
    const object =
      typeof data === "object" && data !== null ? (data as Record<string, unknown>).object : undefined;
    const path = typeof object === "string" && byObject.has(object) ? byObject.get(object) : everyType;
    return walk(event, path, false, undefined, 0) as Record<string, unknown>;
  };
}
