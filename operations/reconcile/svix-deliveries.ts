/**
 * What Svix knows about the stack's endpoint, through the same Clerk → Svix access the registration
 * uses and the real `svix` client: the endpoint itself, the app's messages in a time range, this
 * endpoint's status for each message it attempted, the three repairs, and the background tasks the
 * two bulk repairs run as (to see which still run). Lists page with Svix's
 * iterators until `done`; every request backs off on 429 (Retry-After honoured: the svix client
 * retries only 5xx, and that is switched off so one policy rules) and on 5xx or no answer.
 */
import {
  type BackgroundTaskOut,
  type BackgroundTaskStatus,
  BackgroundTaskType,
  type EndpointOut,
  type MessageStatus,
  Ordering,
  type RecoverOut,
  type ReplayOut,
} from "svix";
import type { AccessSettings } from "../../clerk-access/config";
import { type EndpointClient, endpointClient } from "../../clerk-access/endpoint";
import { call, type Failure, type Step } from "../../clerk-access/failures";
import { clerkWebhooks, isAppMissing, openSvixAccess } from "../../clerk-access/svix-access";
import { CommandError, type RetryPolicy } from "../../command-kit/command-shell";

/** Svix's largest page (svix-server refuses a larger `limit` with 422). */
export const SVIX_PAGE_SIZE = 250;

/** One of the app's messages, as far as reconciliation needs it (never its payload). */
export interface Message {
  id: string;
  eventType: string;
  timestamp: number;
}

/** This endpoint's status for a message it attempted: 0 Success, 1 Pending, 2 Fail, 3 Sending, 4 Canceled. */
export type Attempted = Message & { status: MessageStatus };

export interface Range {
  /** Inclusive. */
  since: Date;
  /** Exclusive. */
  until: Date;
}

export interface SvixDeliveries {
  appId: string;
  endpoint: EndpointOut;
  /** The app's messages created in the range, page by page. */
  messages(range: Range): AsyncIterable<Message[]>;
  /** The messages this endpoint attempted, created in the range, with its status for each. */
  attempted(range: Range): AsyncIterable<Attempted[]>;
  /** Resends the endpoint's failed messages created in the range (a background task in Svix). */
  recover(range: Range): Promise<RecoverOut>;
  /** Sends the messages created in the range that the endpoint never attempted (background task). */
  replayMissing(range: Range): Promise<ReplayOut>;
  /**
   * Svix's background tasks of one type and status, newest first, page by page. Svix lists them for
   * the whole environment, not per app or endpoint (`GET /api/v1/background-task`).
   */
  tasks(type: RepairTaskType, status: BackgroundTaskStatus): AsyncIterable<BackgroundTaskOut[]>;
  /** Resends one message to the endpoint. */
  resend(messageId: string, idempotencyKey: string): Promise<void>;
  /** Logs the Svix token out; never fails. */
  close(): Promise<void>;
}

/** The background tasks `recover` and `replay-missing` run as. */
export type RepairTaskType = BackgroundTaskType.EndpointRecover | BackgroundTaskType.EndpointReplay;
export const RECOVER_TASK = BackgroundTaskType.EndpointRecover;
export const REPLAY_TASK = BackgroundTaskType.EndpointReplay;

export interface DeliveriesOptions {
  /** The endpoint's Svix id (ep_…) or uid. */
  endpoint: string;
  policy: RetryPolicy;
  /** Told every credential met, so that no message can quote one. */
  remember?: (secret: string) => void;
  pageSize?: number;
}

/** Svix keys a time to a second (its ids are KSUIDs): ask a second wider, keep the range exactly. */
const SLACK_MS = 1_000;

export async function openSvixDeliveries(
  settings: AccessSettings,
  options: DeliveriesOptions,
): Promise<SvixDeliveries> {
  const { policy } = options;
  const webhooks = clerkWebhooks(settings);
  let client: EndpointClient;
  try {
    client = endpointClient(await openSvixAccess(webhooks, settings, policy, options.remember), policy);
  } catch (error) {
    if (isAppMissing(error)) {
      throw new CommandError(
        "The Clerk instance has no webhooks app (Svix), so no endpoint and nothing to reconcile: check that " +
          "CLERK_SECRET_KEY belongs to the stack's instance",
      );
    }
    throw error;
  }
  const { appId } = client;
  const fix = reconcileFix(appId, client.apiBase, options.endpoint);
  const step = (action: string): Step => ({ service: "Svix", action, fix });
  const pageSize = Math.min(SVIX_PAGE_SIZE, options.pageSize ?? SVIX_PAGE_SIZE);

  try {
    const endpoint = await call(
      step(`read endpoint ${options.endpoint} of app ${appId}`),
      () => client.endpoints.get(appId, options.endpoint),
      policy,
    );
    const id = endpoint.id;
    const window = (range: Range) => ({
      after: new Date(range.since.getTime() - SLACK_MS),
      before: new Date(range.until.getTime() + SLACK_MS),
    });
    const within = (range: Range, timestamp: number) =>
      timestamp >= range.since.getTime() && timestamp < range.until.getTime();
    const span = (range: Range) => `from ${range.since.toISOString()} to ${range.until.toISOString()}`;

    return {
      appId,
      endpoint,
      async *messages(range) {
        for await (const page of pages(
          `list the messages of app ${appId} ${span(range)}`,
          step,
          policy,
          (iterator) => client.messages.list(appId, { ...window(range), limit: pageSize, iterator }),
        )) {
          yield page
            .map((m) => ({ id: m.id, eventType: m.eventType, timestamp: m.timestamp.getTime() }))
            .filter((m) => within(range, m.timestamp));
        }
      },
      async *attempted(range) {
        for await (const page of pages(
          `list the messages endpoint ${id} attempted ${span(range)}`,
          step,
          policy,
          (iterator) =>
            client.attempts.listAttemptedMessages(appId, id, {
              ...window(range),
              limit: pageSize,
              iterator,
              // Canceled (4) as itself, not folded into Success (0) as older clients saw it.
              expandedStatuses: true,
            }),
        )) {
          yield page
            .map((m) => ({
              id: m.id,
              eventType: m.eventType,
              timestamp: m.timestamp.getTime(),
              status: m.status,
            }))
            .filter((m) => within(range, m.timestamp));
        }
      },
      recover: (range) =>
        call(
          step(`recover the failed messages of endpoint ${id} ${span(range)}`),
          () => client.endpoints.recover(appId, id, range),
          policy,
        ),
      replayMissing: (range) =>
        call(
          step(`replay the messages endpoint ${id} never attempted ${span(range)}`),
          () => client.endpoints.replayMissing(appId, id, range),
          policy,
        ),
      tasks: (type, status) =>
        pages(`list Svix's ${status} ${type} tasks`, step, policy, (iterator) =>
          client.tasks.list({ task: type, status, limit: pageSize, order: Ordering.Descending, iterator }),
        ),
      resend: async (messageId, idempotencyKey) => {
        await call(
          step(`resend message ${messageId} to endpoint ${id}`),
          () => client.attempts.resend(appId, messageId, id, { idempotencyKey }),
          policy,
        );
      },
      close: () => client.logout(),
    };
  } catch (error) {
    await client.logout();
    throw error;
  }
}

interface Page<T> {
  data: T[];
  iterator: string | null;
  done: boolean;
}

/** Every page of a Svix list, following `iterator` until `done`. */
async function* pages<T>(
  action: string,
  step: (action: string) => Step,
  policy: RetryPolicy,
  fetchPage: (iterator: string | undefined) => Promise<Page<T>>,
): AsyncIterable<T[]> {
  let iterator: string | undefined;
  const seen = new Set<string>();
  for (let n = 1; ; n++) {
    const page = await call(step(`${action} (page ${n})`), () => fetchPage(iterator), policy);
    yield page.data;
    if (page.done || !page.iterator || page.data.length === 0) return;
    // A list that hands back an iterator twice would page forever.
    if (seen.has(page.iterator)) {
      throw new CommandError(`Svix returned the same page iterator twice when asked to ${action}`);
    }
    seen.add(page.iterator);
    iterator = page.iterator;
  }
}

/** What to do about a failed Svix call during a reconciliation. */
function reconcileFix(appId: string, apiBase: string, endpoint: string): (failure: Failure) => string {
  return (failure) => {
    if (failure.status === undefined)
      return `Check this machine's network access to ${apiBase}, then run it again`;
    if (failure.status === 429) return "Svix kept rate-limiting: run it again in a few minutes";
    if (failure.status >= 500) return "Svix is having trouble (status.svix.com): run it again later";
    if (failure.status === 404) {
      return (
        `Svix does not know endpoint ${endpoint} in app ${appId}: check CLERK_ENDPOINT_ID (the stack output ` +
        "clerkEndpointId, or the endpoint's id in the Clerk dashboard → Webhooks)"
      );
    }
    if (failure.status === 401 || failure.status === 403) {
      return (
        `Svix refused the token from Clerk's login link for app ${appId}: the undocumented Clerk→Svix hand-over may ` +
        "have changed, or the token may not be allowed this call. Use the Clerk dashboard → Webhooks → the endpoint " +
        "instead: Message Attempts to see what failed, its ⋯ menu to recover or replay"
      );
    }
    return "Svix refused the request: look at the endpoint in the Clerk dashboard (Webhooks), then run it again";
  };
}
