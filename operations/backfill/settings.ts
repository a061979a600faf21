/**
 * The backfill's inputs, as environment variables (the contract scripts rely on), checked together
 * with messages that name the variable; the forwarder's own reader checks the Tinybird and privacy
 * settings, so the backfill accepts exactly what the forwarder does. `--stack` fills the same
 * variables from the deployed stack.
 */

import { normaliseApiUrl, secretKeyProblem } from "../../clerk-access/config";
import { FORWARDER_ENVIRONMENT, loadConfig } from "../../lambda/config";
import { createRedactor, type Redactor } from "../../lambda/redaction";
import type { StackSettings } from "../../stack-access/stack-settings";

export interface BackfillSettings {
  clerkSecretKey: string;
  clerkApiUrl: string;
  tinybirdHost: string;
  tinybirdToken: string;
  dataSource: string;
  /** The forwarder's redaction, with its extra paths and (when on) its pseudonymisation key. */
  redact: Redactor;
  /** For the summary: how rows were redacted, never the key. */
  privacy: { redactPaths: string[]; pseudonymize: boolean };
}

export type SettingsResult = { ok: true; settings: BackfillSettings } | { ok: false; problems: string[] };

export function readBackfillSettings(env: NodeJS.ProcessEnv): SettingsResult {
  const loaded = loadConfig(env, { needsSecretId: false });
  const problems = loaded.ok ? [] : [...loaded.problems];
  const value = (name: string) => env[name]?.trim() || undefined;

  const clerkSecretKey = value("CLERK_SECRET_KEY");
  const keyProblem = secretKeyProblem(clerkSecretKey);
  if (keyProblem) problems.push(keyProblem);
  const tinybirdToken = value("TINYBIRD_TOKEN");
  if (!tinybirdToken) {
    problems.push(
      "TINYBIRD_TOKEN is not set: a token with DATASOURCES:APPEND on the data source (the stack's clerk_append token)",
    );
  }
  const key = value("PSEUDONYMIZATION_KEY");
  const pseudonymize = FORWARDER_ENVIRONMENT.pseudonymize.name;
  if (value(pseudonymize)?.toLowerCase() === "true" && !key) {
    problems.push(
      `${pseudonymize} is true but PSEUDONYMIZATION_KEY is not set: give the forwarder's key ` +
        "(its secret's pseudonymizationKey), or the backfilled pseudonyms would not match the live ones",
    );
  }
  if (!loaded.ok || problems.length > 0) return { ok: false, problems };

  const { config } = loaded;
  let redact: Redactor;
  try {
    redact = createRedactor({
      extraPaths: config.redactPaths,
      redactPrivateMetadata: config.redactPrivateMetadata,
      ...(config.pseudonymize ? { pseudonymizationKey: key } : {}),
    });
  } catch (error) {
    const paths = FORWARDER_ENVIRONMENT.redactPaths.name;
    return { ok: false, problems: [`${paths} / PSEUDONYMIZATION_KEY: ${(error as Error).message}`] };
  }
  return {
    ok: true,
    settings: {
      clerkSecretKey: clerkSecretKey!,
      clerkApiUrl: normaliseApiUrl(env.CLERK_API_URL),
      tinybirdHost: config.tinybirdHost,
      tinybirdToken: tinybirdToken!,
      dataSource: config.dataSource,
      redact,
      privacy: { redactPaths: config.redactPaths, pseudonymize: config.pseudonymize },
    },
  };
}

/**
 * The variables a deployed stack provides: its forwarder's own environment, the append token and
 * the pseudonymisation key. CLERK_API_URL is kept from `env` (the stack does not record it);
 * everything else comes from the stack, so a stray variable from another project cannot send this
 * stack's users elsewhere.
 */
export function stackEnvironment(stack: StackSettings, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const set = (name: string, value: string | undefined) => (value === undefined ? {} : { [name]: value });
  return {
    ...set("CLERK_API_URL", env.CLERK_API_URL),
    // A manual-mode stack has no Clerk key in its config: the one in the environment is used then.
    ...set("CLERK_SECRET_KEY", stack.clerkSecretKey ?? env.CLERK_SECRET_KEY),
    ...stack.forwarderEnvironment,
    ...set("TINYBIRD_TOKEN", stack.tinybirdAppendToken),
    ...set("PSEUDONYMIZATION_KEY", stack.pseudonymizationKey),
  };
}
