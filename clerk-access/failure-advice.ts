/** What a person should do about each kind of failure: the second half of every error message. */

import { CONFIG, DEFAULT_CLERK_API_URL } from "./config";
import type { Failure } from "./failures";
import { MANUAL_MODE_HINT, MANUAL_MODE_STEPS } from "./svix-login";

const RERUN = "then run `pulumi up` again";

function transientFix(failure: Failure, where: string, statusPage: string): string | undefined {
  if (failure.status === undefined) return `Check this machine's network access to ${where}, ${RERUN}`;
  if (failure.status === 429) return `${failure.service} kept rate-limiting: wait a minute, ${RERUN}`;
  if (failure.status >= 500)
    return `${failure.service} is having trouble (${statusPage}): run \`pulumi up\` again later`;
  return undefined;
}

/** Advice for the Clerk Backend API calls. */
export function clerkFix(apiUrl: string): (failure: Failure) => string {
  const custom = apiUrl !== DEFAULT_CLERK_API_URL ? " (ClerkWebhookEndpoint's clerkApiUrl)" : "";
  return (failure) => {
    const transient = transientFix(failure, `${apiUrl}${custom}`, "status.clerk.com");
    if (transient) return transient;
    switch (failure.status) {
      case 401:
        return (
          `The Clerk secret key (config ${CONFIG.secretKey}) is wrong or revoked. Copy it from the Clerk dashboard → ` +
          `API keys of the instance this stack serves: sk_test_… for a development instance, sk_live_… for production`
        );
      case 403:
        return (
          `The key was accepted but may not manage this instance's webhooks: check that ${CONFIG.secretKey} is a secret key ` +
          `of the intended instance (sk_live_… for production, sk_test_… for development) and that webhooks are available on its plan`
        );
      case 404:
        return `${apiUrl}${custom} does not serve Clerk's Backend API v1: leave clerkApiUrl unset to use ${DEFAULT_CLERK_API_URL}`;
      default:
        return `Clerk refused the request: check the instance's Webhooks page in the Clerk dashboard, or use manual mode: ${MANUAL_MODE_STEPS}`;
    }
  };
}

/** Advice for the Svix endpoint calls made with the token from Clerk's login link. */
export function svixEndpointFix(appId: string, apiBase: string): (failure: Failure) => string {
  return (failure) => {
    const transient = transientFix(failure, apiBase, "status.svix.com");
    if (transient) return transient;
    switch (failure.status) {
      case 401:
      case 403:
        return (
          `Svix refused the token obtained through Clerk's login link for app ${appId}; the undocumented ` +
          `Clerk→Svix hand-over may have changed. ${MANUAL_MODE_HINT}`
        );
      case 404:
        return (
          `Svix at ${apiBase} does not know app ${appId}: the region in Clerk's login link is missing or unknown to ` +
          `this stack, or the hand-over changed. ${MANUAL_MODE_HINT}`
        );
      case 400:
      case 422:
        // A recover's window, not the endpoint's settings (see SVIX_RECOVER_DAYS).
        if (failure.detail?.includes("body.since"))
          return (
            "Svix recovers the failed messages of the last 14 days only: start the window within them, and for older " +
            "ones run `npm run reconcile -- --since <time> --repair`, which resends them one by one"
          );
        return (
          `Svix rejected the endpoint settings: the webhook URL must be a public https URL and every event type a ` +
          `Clerk event name such as user.created (config ${CONFIG.eventTypes}; leave it empty for all events)`
        );
      default:
        return `Look at the endpoint in the Clerk dashboard (Webhooks), ${RERUN}; if it keeps failing, use manual mode: ${MANUAL_MODE_STEPS}`;
    }
  };
}

/**
 * Advice when destroy cannot confirm the endpoint is gone: Svix answers a missing app with the same
 * 404 as a missing endpoint, and an app this host does not know may still hold the endpoint.
 */
export function svixGoneUnconfirmedFix(
  appId: string,
  apiBase: string,
  uid: string,
  commandName: string,
): (failure: Failure) => string {
  const otherwise = svixEndpointFix(appId, apiBase);
  return (failure) =>
    failure.status === 404
      ? `Svix at ${apiBase} does not know app ${appId}, so this stack cannot tell whether endpoint ${uid} is gone ` +
        `(the region in Clerk's login link is missing or unknown to this stack, or the hand-over changed). Delete the ` +
        `endpoint in the Clerk dashboard (Webhooks) if it is still there, then \`pulumi state delete <urn>\` with the URN ` +
        `of ${commandName} (\`pulumi stack --show-urns\`) and run \`pulumi destroy\` again`
      : otherwise(failure);
}

/** Advice for the one-time-token exchange, the most fragile, undocumented step. */
export function exchangeFix(apiBase: string): (failure: Failure) => string {
  return (failure) => {
    const transient = transientFix(failure, apiBase, "status.svix.com");
    if (transient) return transient;
    if (failure.status === 401) {
      return `Svix refused the one-time token even from a fresh login link, so the Clerk→Svix hand-over may have changed. ${MANUAL_MODE_HINT}`;
    }
    return `The one-time-token exchange is undocumented and Svix no longer accepts it as this stack sends it. ${MANUAL_MODE_HINT}`;
  };
}
