/**
 * From a Clerk secret key to a Svix API token for the instance's app: ensure the app exists, ask
 * Clerk for a fresh login link, and exchange the link's one-time token. A one-time token is spent
 * by any answer, so a failed exchange is never repeated with it: each retry starts from a new link.
 */
import { createClerkClient } from "@clerk/backend";
import { ApiException } from "svix";
import { type RetryPolicy, withRetry } from "../command-kit/command-shell";
import type { AccessSettings } from "./config";
import { clerkFix, exchangeFix } from "./failure-advice";
import { answered, call, isTransient, ServiceError, type Step } from "./failures";
import { isKnownRegion, parseSvixUrl, svixApiBase, undocumentedFlow } from "./svix-login";

export type ClerkWebhooks = Pick<
  ReturnType<typeof createClerkClient>["webhooks"],
  "createSvixApp" | "generateSvixAuthURL"
>;

export function clerkWebhooks(settings: AccessSettings): ClerkWebhooks {
  return createClerkClient({
    secretKey: settings.secretKey,
    apiUrl: settings.clerkApiUrl,
    telemetry: { disabled: true },
  }).webhooks;
}

export interface SvixAccess {
  appId: string;
  /** Svix API token: memory only, never printed. */
  token: string;
  /** The API host the exchange used, for messages. */
  apiBase: string;
  /** Given to the svix client; absent lets it choose the host from the token's region suffix. */
  serverUrl?: string;
}

/** How long one Svix request may take (the Clerk client offers no timeout). */
export const REQUEST_TIMEOUT_MS = 30_000;
/**
 * Svix refuses a `recover` whose `since` is more than 14 days back (422 "Cannot recover messages more
 * than 14 days old.", svix-server's endpoint/recovery.rs); older failed messages are resent one by one.
 */
export const SVIX_RECOVER_DAYS = 14;
export const SVIX_RECOVER_MS = SVIX_RECOVER_DAYS * 24 * 60 * 60 * 1000;

/** Creates the instance's Svix app; one that already exists is what we wanted. */
export async function ensureSvixApp(
  webhooks: ClerkWebhooks,
  settings: AccessSettings,
  policy: RetryPolicy,
): Promise<void> {
  const step: Step = {
    service: "Clerk",
    action: "create the instance's Svix app (POST /v1/webhooks/svix)",
    fix: clerkFix(settings.clerkApiUrl),
  };
  try {
    await call(step, () => webhooks.createSvixApp(), policy);
  } catch (error) {
    if (!answered(error, 400, "svix_app_exists")) throw error;
  }
}

/** True when Clerk says the instance has no Svix app (so nothing of ours can exist in it). */
export function isAppMissing(error: unknown): boolean {
  return answered(error, 400, "svix_app_missing");
}

async function exchange(apiBase: string, oneTimeToken: string): Promise<string> {
  // The token travels in the body only: URLs end up in logs and error messages.
  const response = await fetch(`${apiBase}/api/v1/auth/one-time-token`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ oneTimeToken }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // A non-JSON answer keeps its status; its text becomes the detail.
  }
  // The exception the svix client raises for an error answer, so one classifier reads both.
  if (!response.ok) throw new ApiException(response.status, parsed, response.headers);
  const token = (parsed as { token?: unknown } | null)?.token;
  if (typeof token !== "string" || token === "") {
    throw undocumentedFlow("Svix's answer to the one-time-token exchange carried no token");
  }
  return token;
}

/**
 * Opens Svix access for the instance's app. Fails with `svix_app_missing` (see `isAppMissing`) when
 * the instance has no app; the caller decides whether that matters.
 */
export async function openSvixAccess(
  webhooks: ClerkWebhooks,
  settings: AccessSettings,
  policy: RetryPolicy,
  /** Told every credential met (one-time tokens, the API token) so messages can be scrubbed. */
  remember: (secret: string) => void = () => {},
): Promise<SvixAccess> {
  const loginStep: Step = {
    service: "Clerk",
    action: "issue a Svix login link (POST /v1/webhooks/svix_url)",
    fix: clerkFix(settings.clerkApiUrl),
  };
  let rounds = 0;
  let refusals = 0;
  try {
    return await withRetry(
      async () => {
        rounds += 1;
        const answer = (await call(loginStep, () => webhooks.generateSvixAuthURL(), policy)) as unknown;
        const login = parseSvixUrl((answer as { svix_url?: unknown } | null)?.svix_url);
        remember(login.oneTimeToken);
        const apiBase = settings.svixServerUrl ?? svixApiBase(login.region);
        const exchangeStep: Step = {
          service: "Svix",
          action: `exchange the login link's one-time token (POST ${apiBase}/api/v1/auth/one-time-token)`,
          fix: exchangeFix(apiBase),
        };
        const token = await call(exchangeStep, () => exchange(apiBase, login.oneTimeToken), { attempts: 1 });
        remember(token);
        const serverUrl = settings.svixServerUrl ?? (isKnownRegion(login.region) ? apiBase : undefined);
        return { appId: login.appId, token, apiBase, ...(serverUrl ? { serverUrl } : {}) };
      },
      {
        ...policy,
        // Only the exchange is retried here (Clerk's own retries ran inside `call`). A refused
        // token earns one fresh link: it may have expired on the way; twice means the flow changed.
        isRetryable: (error) =>
          error instanceof ServiceError &&
          error.failure.service === "Svix" &&
          (isTransient(error.failure) || (error.failure.status === 401 && refusals++ === 0)),
      },
    );
  } catch (error) {
    if (error instanceof ServiceError && error.failure.service === "Svix" && rounds > 1) {
      throw new ServiceError(error.step, error.failure, rounds);
    }
    throw error;
  }
}
