/**
 * Clerk access as every side configures it: the stack's config keys, the Backend API's URL, the
 * endpoint's stable uid, event types, and the checks of a secret key and of a URL a credential goes to.
 * (The registration command's own environment is infra/provisioning/clerk/config.ts.)
 */

import { CommandError } from "../command-kit/command-shell";
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

export interface AccessSettings {
  secretKey: string;
  clerkApiUrl: string;
  /** Svix API base override (tests, private deployments); otherwise from the login link's region. */
  svixServerUrl?: string;
}
