/**
 * What the registration command is asked to do, read from the environment the component's
 * `local.Command` stores. Every credential arrives here and nowhere else: never on the command line.
 */

import { CommandError, parseResultLine, requireEnv } from "../command-kit/command-shell";
import { checkApiHost } from "../lambda/api-host";

/** Config keys the stack reads; named in every message that asks a person to change something. */
export const CONFIG = {
  secretKey: "clerkSecretKey",
  signingSecret: "clerkWebhookSigningSecret",
  eventTypes: "clerkEventTypes",
} as const;

export const DEFAULT_CLERK_API_URL = "https://api.clerk.com";

/** Svix endpoint uids allow letters, digits, `-`, `_` and `.`, up to 256 characters. */
const UID_UNSAFE = /[^A-Za-z0-9._-]+/g;

/**
 * The endpoint's stable identity: one per project and stack, so a re-run, a `pulumi refresh` or a
 * lost state finds the endpoint it made instead of adding a second one.
 */
export function endpointUid(project: string, stack: string): string {
  return `clerk-tinybird.${project}.${stack}`.replace(UID_UNSAFE, "-").slice(0, 256);
}

/** `https://api.clerk.com/` and `https://api.clerk.com` are the same instance host. */
export function normaliseApiUrl(url: string | undefined): string {
  const trimmed = (url ?? "").trim().replace(/\/+$/, "");
  return trimmed === "" ? DEFAULT_CLERK_API_URL : safeUrl("CLERK_API_URL", trimmed);
}

/**
 * A URL a credential is sent to (the Clerk secret key, the Svix token) or handed out (the webhook
 * URL): https, or http to this machine only (test servers); never user:password in it.
 */
export function safeUrl(name: string, value: string): string {
  const checked = checkApiHost(value, { allowPath: true });
  if (!checked.ok) throw new CommandError(`${name}: ${checked.problem}`);
  return value;
}

/** What is wrong with CLERK_SECRET_KEY as an operations command reads it, or undefined. Never quotes it. */
export function secretKeyProblem(key: string | undefined): string | undefined {
  if (!key) return "CLERK_SECRET_KEY is not set: the instance's secret key (Clerk dashboard → API keys)";
  if (!/^sk_(test|live)_/.test(key)) {
    return "CLERK_SECRET_KEY does not look like a Clerk secret key: sk_test_… (development) or sk_live_… (production)";
  }
  return undefined;
}

/** Event types as the command receives them: comma-separated; empty means every event. */
export function parseEventTypes(value: string | undefined): string[] {
  const types = (value ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  return [...new Set(types)].sort();
}

/** What the last create/update printed, handed back by `local.Command` as PULUMI_COMMAND_STDOUT. */
export interface PreviousRun {
  appId?: string;
  endpointId?: string;
  uid?: string;
  owner?: string;
}

export function parsePreviousRun(stdout: string | undefined): PreviousRun {
  // An unreadable previous result only costs the safety checks that use it.
  const parsed = parseResultLine(stdout) ?? {};
  const pick = (key: string) => (typeof parsed[key] === "string" ? (parsed[key] as string) : undefined);
  return { appId: pick("appId"), endpointId: pick("endpointId"), uid: pick("uid"), owner: pick("owner") };
}

export interface AccessSettings {
  secretKey: string;
  clerkApiUrl: string;
  /** Svix API base override (tests, private deployments); otherwise from the login link's region. */
  svixServerUrl?: string;
}

export interface EndpointSettings extends AccessSettings {
  uid: string;
  /** Name of the `local.Command` resource, for messages that suggest `pulumi up --replace`. */
  commandName: string;
  previous: PreviousRun;
}

export interface DesiredSettings extends EndpointSettings {
  url: string;
  eventTypes: string[];
  description: string;
}

const KEY_FIX = `set the Clerk secret key with \`pulumi config set --secret ${CONFIG.secretKey} sk_…\`, or use manual mode (${CONFIG.signingSecret})`;

export function readEndpointSettings(env: NodeJS.ProcessEnv): EndpointSettings {
  const secretKey = requireEnv("CLERK_SECRET_KEY", KEY_FIX, env).trim();
  if (!secretKey.startsWith("sk_")) {
    // Never echo the value: a publishable key is harmless, but this might be anything.
    throw new CommandError(
      `CLERK_SECRET_KEY does not look like a Clerk secret key (they start with sk_test_ for a development instance and sk_live_ for production): ${KEY_FIX}`,
    );
  }
  const svixServerUrl = env.SVIX_SERVER_URL?.trim().replace(/\/+$/, "");
  if (svixServerUrl) safeUrl("SVIX_SERVER_URL", svixServerUrl);
  const previous = parsePreviousRun(env.PULUMI_COMMAND_STDOUT);
  // The last result names the uid too, so a delete still finds the endpoint if the variable is lost.
  const uid =
    env.ENDPOINT_UID?.trim() ||
    previous.uid ||
    requireEnv("ENDPOINT_UID", "the ClerkWebhookEndpoint component sets it; run this through Pulumi", env);
  return {
    secretKey,
    clerkApiUrl: normaliseApiUrl(env.CLERK_API_URL),
    ...(svixServerUrl ? { svixServerUrl } : {}),
    uid,
    commandName: env.COMMAND_NAME?.trim() || "the ClerkWebhookEndpoint's register command",
    previous,
  };
}

export function readDesiredSettings(env: NodeJS.ProcessEnv): DesiredSettings {
  const base = readEndpointSettings(env);
  const url = requireEnv("WEBHOOK_URL", "the stack passes the forwarder's public URL", env).trim();
  safeUrl("WEBHOOK_URL", url);
  return {
    ...base,
    url,
    eventTypes: parseEventTypes(env.EVENT_TYPES),
    description: env.DESCRIPTION?.trim() || `clerk-tinybird (${base.uid})`,
  };
}
