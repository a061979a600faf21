/**
 * A redaction setting that cannot work (bad path, unusable key), raised once by `createRedactor` so the
 * forwarder reports a configuration error instead of forwarding anything unredacted.
 */
export class RedactionConfigError extends Error {
  readonly kind = "redaction_config";

  constructor(message: string) {
    super(message);
    this.name = "RedactionConfigError";
  }
}
