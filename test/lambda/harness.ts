/**
 * A forwarder wired the way lambda/index.ts wires it (real Secrets Manager client, real Tinybird
 * client) but against local stand-ins, with its log lines captured and its clock in the test's hands.
 */
import { vi } from "vitest";
import { type ForwarderConfig, loadConfig } from "../../lambda/config";
import { createHandler, type Handler } from "../../lambda/forwarder";
import { createJsonLogger } from "../../lambda/logger";
import { createSecretCache } from "../../lambda/secrets";
import {
  createSecretsManagerClient,
  createSecretsManagerReader,
  SECRET_READ_MAX_MS,
  type SecretsManagerTimeouts,
} from "../../lambda/secrets-manager";
import { createTinybirdClient } from "../../lambda/tinybird";
import {
  awsEnvironment,
  SECRET_ID,
  type SecretsManagerAnswer,
  secretAnswer,
  secretsManagerHandler,
  tinybirdStored,
} from "../support/forwarder-stubs";
import { type StubServer, startStub } from "../support/http-stub";

export interface Harness {
  handler: Handler;
  tinybird: StubServer;
  secretsManager: StubServer;
  /** What Secrets Manager answers next; change it to rotate the secret. */
  secretAnswer: SecretsManagerAnswer;
  /** Every log line, parsed. */
  logs: Record<string, unknown>[];
  /** Every log line as written. */
  logText: string[];
  clock: { now: number };
  config: ForwarderConfig;
  /**
   * A fresh handler (a new container) over the same stand-ins. The SDK client finds Secrets Manager
   * through AWS_ENDPOINT_URL_SECRETS_MANAGER, set here to the stand-in (or the URL given).
   */
  newContainer(secretsManagerUrl?: string, timeouts?: SecretsManagerTimeouts): Handler;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  tinybirdTimeoutMs?: number;
  refreshCooldownMs?: number;
}

export const START = Date.UTC(2026, 10, 24, 9, 0, 0);

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const tinybird = await startStub(() => tinybirdStored());
  const harness = {} as Harness;
  harness.secretAnswer = secretAnswer();
  const secretsManager = await startStub(secretsManagerHandler(() => harness.secretAnswer));

  const loaded = loadConfig({ SECRET_ID, TINYBIRD_HOST: tinybird.url, ...options.env });
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  const config = loaded.config;
  const clock = { now: START };
  const logs: Record<string, unknown>[] = [];
  const logText: string[] = [];
  const now = () => clock.now;

  const newContainer = (secretsManagerUrl = secretsManager.url, timeouts: SecretsManagerTimeouts = {}) => {
    Object.assign(process.env, awsEnvironment(secretsManagerUrl));
    return createHandler({
      config,
      secrets: createSecretCache(
        createSecretsManagerReader(createSecretsManagerClient(timeouts), SECRET_ID),
        {
          now,
          ...(options.refreshCooldownMs === undefined
            ? {}
            : { refreshCooldownMs: options.refreshCooldownMs }),
        },
      ),
      tinybird: createTinybirdClient({ host: config.tinybirdHost, dataSource: config.dataSource, now }),
      logger: createJsonLogger({
        service: "forwarder-test",
        now,
        write: (line) => {
          logText.push(line);
          logs.push(JSON.parse(line) as Record<string, unknown>);
        },
      }),
      now,
      secretReadMaxMs: SECRET_READ_MAX_MS,
      ...(options.tinybirdTimeoutMs === undefined ? {} : { tinybirdTimeoutMs: options.tinybirdTimeoutMs }),
    });
  };

  return Object.assign(harness, {
    handler: newContainer(),
    tinybird,
    secretsManager,
    logs,
    logText,
    clock,
    config,
    newContainer,
    close: async () => {
      await Promise.all([tinybird.close(), secretsManager.close()]);
    },
  });
}

/** The parsed JSON body of a handler's answer. */
export function bodyOf(result: { body?: string }): { code: string; message: string } {
  return JSON.parse(result.body ?? "{}") as { code: string; message: string };
}

export interface StandIns {
  tinybird: StubServer;
  secretsManager: StubServer;
  /** What the code under test wrote to stdout (its log lines), in order. */
  stdout: string[];
  /** The stdout lines parsed as JSON. */
  logLines(): Record<string, unknown>[];
  close(): Promise<void>;
}

/**
 * Tinybird and Secrets Manager stand-ins for code that wires itself from the environment (the entry
 * module, the bundle), with stdout captured because that is where its logger writes.
 */
export async function startStandIns(): Promise<StandIns> {
  const tinybird = await startStub(() => tinybirdStored());
  const secretsManager = await startStub(secretsManagerHandler(() => secretAnswer()));
  const stdout: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  return {
    tinybird,
    secretsManager,
    stdout,
    logLines: () =>
      stdout
        .join("")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    close: async () => {
      spy.mockRestore();
      await Promise.all([tinybird.close(), secretsManager.close()]);
    },
  };
}
