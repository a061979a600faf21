/**
 * Asks Svix to resend every message it gave up on for the stack's endpoint within a time range
 * (POST /api/v1/app/{app}/endpoint/{endpoint}/recover), and to send those it never attempted on it
 * (…/replay-missing: sent while the endpoint was disabled or filtered them out), through the same
 * Clerk → Svix access the registration uses. Resent messages keep their svix-id, the forwarder's
 * event_id, so one that was stored after all is de-duplicated by readers.
 */
import type { RecoverOut, ReplayOut } from "svix";
import type { AccessSettings } from "../../clerk-access/config";
import { endpointClient } from "../../clerk-access/endpoint";
import { call } from "../../clerk-access/failures";
import { clerkWebhooks, isAppMissing, openSvixAccess } from "../../clerk-access/svix-access";
import type { RetryPolicy } from "../../command-kit/command-shell";
import { CommandError } from "../../command-kit/command-shell";

export interface RecoverRequest {
  /** The endpoint's Svix id (ep_…) or uid. */
  endpoint: string;
  since: Date;
  until?: Date;
}

export interface Recovery {
  appId: string;
  endpoint: string;
  task: RecoverOut;
  /** The replay of never-attempted messages, or why Svix refused it (the recover stands either way). */
  replay: { task: ReplayOut } | { failure: string };
}

export async function recoverFailedMessages(
  settings: AccessSettings,
  request: RecoverRequest,
  policy: RetryPolicy = {},
): Promise<Recovery> {
  const webhooks = clerkWebhooks(settings);
  let access: Awaited<ReturnType<typeof openSvixAccess>>;
  try {
    access = await openSvixAccess(webhooks, settings, policy);
  } catch (error) {
    if (isAppMissing(error)) {
      throw new CommandError(
        "The Clerk instance has no webhooks app (Svix), so no endpoint and nothing to recover: check CLERK_SECRET_KEY belongs to the stack's instance",
        { cause: error },
      );
    }
    throw error;
  }
  const client = endpointClient(access, policy);
  try {
    const range = `since ${request.since.toISOString()}${request.until ? ` until ${request.until.toISOString()}` : ""}`;
    const window = { since: request.since, ...(request.until ? { until: request.until } : {}) };
    const task = await call(
      client.step(`recover the failed messages of endpoint ${request.endpoint} ${range}`),
      () => client.endpoints.recover(access.appId, request.endpoint, window),
      policy,
    );
    let replay: Recovery["replay"];
    try {
      replay = {
        task: await call(
          client.step(`replay the messages endpoint ${request.endpoint} never attempted ${range}`),
          () => client.endpoints.replayMissing(access.appId, request.endpoint, window),
          policy,
        ),
      };
    } catch (error) {
      replay = { failure: error instanceof Error ? error.message : String(error) };
    }
    return { appId: access.appId, endpoint: request.endpoint, task, replay };
  } finally {
    await client.logout();
  }
}

/** What to do by hand when the stack registered no endpoint itself (manual mode). */
export function manualSteps(since: Date, until?: Date): string[] {
  return [
    "This stack is in manual mode (its endpoint was added in the Clerk dashboard), so recover by hand:",
    "  1. Clerk dashboard → Webhooks → the endpoint that points at this stack's webhookUrl.",
    "  2. Open its ⋯ menu → Recover failed messages (Svix's app portal), and, where the menu offers it,",
    "     Replay missing messages (those sent while the endpoint was disabled or filtered them out).",
    `  3. Choose the time to start from: ${since.toISOString()}${until ? ` (the dashboard goes up to now, which includes ${until.toISOString()})` : ""}.`,
    "  4. Follow the resends under the endpoint's Message Attempts; resent events keep their svix-id, so",
    "     rows already stored are counted once. `npm run reconcile` then proves what is stored.",
  ];
}
