/**
 * Credential redaction for verified Clerk events, called by the forwarder on every event before the NDJSON
 * line is built. Default rules: rules.ts. Extra paths and pseudonymisation come from the stack's config.
 */
import { compileRedactor } from "./engine";
import { DEFAULT_RULES, PRIVATE_METADATA_RULE } from "./rules";

export { MAX_DEPTH, TOO_DEEP } from "./engine";
export { RedactionConfigError } from "./errors";
export { PSEUDONYM_PREFIX } from "./pseudonymize";
export { DEFAULT_RULES } from "./rules";

/** The fixed marker a redacted value becomes (the key stays, so the field's existence is kept). */
export const REDACTED = "[redacted]";

export interface RedactionOptions {
  /** Extra dot paths to redact (`data.private_metadata`, `data.email_addresses.*.email_address`). */
  extraPaths?: readonly string[];
  /** Redact `private_metadata` whole (default true; stack config redactPrivateMetadata). */
  redactPrivateMetadata?: boolean;
  /** When set, personal data (emails, phone numbers, IPs, people's names) becomes a keyed hash under this key. */
  pseudonymizationKey?: string;
}

/** Returns a copy of a verified Clerk event with credentials redacted; never mutates its input. */
export type Redactor = (event: Record<string, unknown>) => Record<string, unknown>;

/**
 * Compiles the rules, the extra paths and the key once; the returned function is pure and cheap per event.
 * Throws `RedactionConfigError` (kind `redaction_config`) for an invalid path or an unusable key.
 */
export function createRedactor(options: RedactionOptions = {}): Redactor {
  const { redactPrivateMetadata = true, ...rest } = options;
  const rules = redactPrivateMetadata
    ? DEFAULT_RULES
    : DEFAULT_RULES.filter((r) => r.id !== PRIVATE_METADATA_RULE);
  return compileRedactor({ ...rest, rules, marker: REDACTED });
}
