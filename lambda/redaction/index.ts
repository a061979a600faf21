// INTERFACE PLACEHOLDER: the redaction issue replaces the body; the exported names and types are the
// contract the forwarder calls.

/** The fixed marker a redacted value becomes (the key stays, so the field's existence is kept). */
export const REDACTED = "[redacted]";

export interface RedactionOptions {
  /** Extra dot paths to redact (`data.private_metadata`, `data.email_addresses.*.email_address`). */
  extraPaths?: readonly string[];
  /** When set, personal data (emails, phone numbers, IPs) becomes a keyed hash under this key. */
  pseudonymizationKey?: string;
}

/** Returns a copy of a verified Clerk event with credentials redacted; never mutates its input. */
export type Redactor = (event: Record<string, unknown>) => Record<string, unknown>;

export function createRedactor(_options: RedactionOptions = {}): Redactor {
  return (event) => structuredClone(event);
}
