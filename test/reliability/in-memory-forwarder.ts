/**
 * The forwarder's handler built by its factory with in-memory stand-ins, for tests that send it
 * thousands of requests in-process: the real per-container secret cache over a reader that counts
 * its calls, and a Tinybird client that records every line and acknowledges it.
 */
import { loadConfig } from "../../lambda/config";
import { createHandler, type Handler } from "../../lambda/forwarder";
import { createJsonLogger } from "../../lambda/logger";
import { createSecretCache } from "../../lambda/secrets";
import { SECRET_ID, SIGNING_SECRET, TINYBIRD_TOKEN } from "../support/forwarder-stubs";

export interface InMemoryForwarder {
  handler: Handler;
  /** Every line handed to Tinybird, in order. */
  appended: string[];
  /** Every log line, parsed. */
  logs: Record<string, unknown>[];
  /** How many times the secret was read. */
  secretReads(): number;
}

export function inMemoryForwarder(
  options: {
    now?: () => number;
    onLogLine?: (line: string) => void;
    /** More of the forwarder's environment (ALLOWED_SOURCE_IPS…). */
    env?: Record<string, string>;
  } = {},
): InMemoryForwarder {
  const now = options.now ?? (() => Date.now());
  const appended: string[] = [];
  const logs: Record<string, unknown>[] = [];
  let reads = 0;
  const loaded = loadConfig({ SECRET_ID, TINYBIRD_HOST: "http://127.0.0.1:9", ...options.env });
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  const handler = createHandler({
    config: loaded.config,
    secrets: createSecretCache(
      async () => {
        reads += 1;
        return { ok: true, secret: { tinybirdToken: TINYBIRD_TOKEN, signingSecret: SIGNING_SECRET } };
      },
      { now },
    ),
    tinybird: {
      async append(line) {
        appended.push(line);
        return { kind: "forwarded", tinybirdStatus: 200 };
      },
    },
    logger: createJsonLogger({
      service: "reliability",
      now,
      write: (line) => {
        options.onLogLine?.(line);
        logs.push(JSON.parse(line) as Record<string, unknown>);
      },
    }),
    now,
  });
  return { handler, appended, logs, secretReads: () => reads };
}
