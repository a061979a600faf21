/**
 * The endpoint's health, read on every `pulumi up`: Svix disables an endpoint after about five days
 * of failed deliveries, and anyone can disable or change it in Clerk's dashboard, all without the
 * stack's inputs changing. The stack wants it delivering with its own URL and event types: a
 * disabled endpoint is enabled again, drifted settings are put back, and the person running
 * `pulumi up` is told, with the reconcile command for the time it was off. Svix records no time of
 * disabling (its endpoint has `disabled`, `createdAt` and `updatedAt` only), so that time starts at
 * the endpoint's last successful delivery, which Svix does list.
 */
import { MessageStatus } from "svix";
import type { DesiredEndpoint, EndpointClient } from "./endpoint";
import { driftOf, findEndpoint, wantedFields } from "./endpoint";
import { call } from "./failures";

/** How far back Svix lists deliveries by default, and keeps messages: the reconcile window's limit. */
export const SVIX_LIST_DAYS = 90;

export interface Reenabled {
  /** ISO time of the last successful delivery Svix lists, when it lists one. */
  lastDelivered?: string;
  /** Where a reconciliation should start: the last successful delivery, else Svix's 90 days back. */
  since: string;
}

export type EndpointCheck =
  | { state: "ok"; uid: string; endpointId: string }
  | { state: "repaired"; uid: string; endpointId: string; repaired: string[]; reenabled?: Reenabled }
  /** Svix has no endpoint with the stack's uid (deleted in the dashboard). */
  | { state: "missing"; uid: string }
  /** The instance has no webhooks app at all. */
  | { state: "app-missing" }
  /** The check itself failed; `problem` says why. `pulumi up` goes on. */
  | { state: "unchecked"; problem: string };

/** When the endpoint last delivered a message successfully, if Svix lists one. */
export async function lastDelivery(client: EndpointClient, endpointId: string): Promise<Date | undefined> {
  const page = await call(
    client.step(`list the last successful delivery of endpoint ${endpointId}`),
    () =>
      client.attempts.listAttemptedMessages(client.appId, endpointId, {
        status: MessageStatus.Success,
        limit: 1,
      }),
    client.policy,
  );
  return page.data[0]?.timestamp;
}

/** What to tell about an endpoint found disabled and enabled again. */
export async function reenabledSince(
  client: EndpointClient,
  endpointId: string,
  now: number,
): Promise<Reenabled> {
  const last = await lastDelivery(client, endpointId);
  return last
    ? { lastDelivered: last.toISOString(), since: last.toISOString() }
    : { since: new Date(now - SVIX_LIST_DAYS * 86_400_000).toISOString() };
}

/** Reads the endpoint and puts back what drifted; enables it again if it was disabled. */
export async function checkEndpoint(
  client: EndpointClient,
  desired: Omit<DesiredEndpoint, "owner">,
  now: number,
): Promise<EndpointCheck> {
  const endpoint = await findEndpoint(client, desired.uid);
  if (!endpoint) return { state: "missing", uid: desired.uid };
  const drift = driftOf(endpoint, desired);
  if (drift.length === 0) return { state: "ok", uid: desired.uid, endpointId: endpoint.id };
  // Asked before the update: the last delivery is the start of the time it was off.
  const reenabled = endpoint.disabled ? await reenabledSince(client, endpoint.id, now) : undefined;
  await call(
    client.step(`update endpoint ${desired.uid} of app ${client.appId}`),
    // Metadata stays as the registration left it: it names the resource that owns the endpoint.
    () => client.endpoints.patch(client.appId, endpoint.id, { ...wantedFields(desired), disabled: false }),
    client.policy,
  );
  return {
    state: "repaired",
    uid: desired.uid,
    endpointId: endpoint.id,
    repaired: drift,
    ...(reenabled ? { reenabled } : {}),
  };
}

/** The reconcile command for the time an endpoint was off. */
export function reconcileCommand(stack: string, since: string): string {
  return `npm run reconcile -- --stack ${stack} --since ${since} --repair`;
}

/** The message for the person running `pulumi up` about an endpoint found disabled. */
export function reenabledMessage(uid: string, reenabled: Reenabled, stack: string): string {
  const last = reenabled.lastDelivered
    ? `Its last successful delivery was at ${reenabled.lastDelivered}`
    : `Svix lists no successful delivery to it in the last ${SVIX_LIST_DAYS} days`;
  return (
    `The Clerk webhook endpoint ${uid} was disabled (Svix disables an endpoint after about 5 days of failed ` +
    `deliveries; someone may also have disabled it in the Clerk dashboard), and is enabled again. ${last}: messages ` +
    "sent since then failed or were never attempted. Find and deliver them with " +
    `\`${reconcileCommand(stack, reenabled.since)}\` (docs/operating.md).`
  );
}

/** What `pulumi up` says about a check's result; undefined when there is nothing to say. */
export function checkMessage(check: EndpointCheck, stack: string, commandName: string): string | undefined {
  switch (check.state) {
    case "ok":
    case "app-missing":
      return undefined;
    case "repaired":
      return check.reenabled
        ? reenabledMessage(check.uid, check.reenabled, stack)
        : `The Clerk webhook endpoint ${check.uid} had been changed outside Pulumi (${check.repaired.join(", ")}): ` +
            "put back as the stack declares it.";
    case "missing":
      return (
        `The Clerk webhook endpoint ${check.uid} no longer exists in Svix (deleted in the Clerk dashboard?): no event ` +
        `reaches the stack. Register it again with \`pulumi up --replace <urn>\` (the URN of ${commandName}, from ` +
        `\`pulumi stack --show-urns\`), then run \`${reconcileCommand(stack, "<when it was deleted>")}\`.`
      );
    case "unchecked":
      return `Could not check the Clerk webhook endpoint (the deployment goes on): ${check.problem}`;
  }
}
