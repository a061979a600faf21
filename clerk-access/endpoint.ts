/**
 * The stack's endpoint in the instance's Svix app, found by its uid: created when missing, brought
 * in line when its URL, event types or description drifted or Svix disabled it, removed on destroy. Its metadata names
 * the Pulumi resource that owns it, so a replaced resource's late delete cannot remove the endpoint
 * its successor has just taken over.
 */
import { randomUUID } from "node:crypto";
import { type EndpointOut, Svix } from "svix";
import type { RetryPolicy } from "../command-kit/command-shell";
import { svixEndpointFix, svixGoneUnconfirmedFix } from "./failure-advice";
import { answered, call, type Step } from "./failures";
import { REQUEST_TIMEOUT_MS, type SvixAccess } from "./svix-access";
import { undocumentedFlow } from "./svix-login";

export const MANAGED_BY = "clerk-tinybird";

export interface DesiredEndpoint {
  uid: string;
  url: string;
  /** Sorted; empty means every event type. */
  eventTypes: string[];
  description: string;
  /** Random id of the Pulumi resource that manages the endpoint. */
  owner: string;
}

export interface EndpointClient {
  endpoints: Svix["endpoint"];
  /** The app's messages, and each endpoint's deliveries of them (reconciliation). */
  messages: Svix["message"];
  attempts: Svix["messageAttempt"];
  /** Svix's background tasks (recover, replay-missing), to see which still run. */
  tasks: Svix["backgroundTask"];
  appId: string;
  /** The Svix API host, for messages. */
  apiBase: string;
  step: (action: string) => Step;
  policy: RetryPolicy;
  /** Ends the Svix token's session; never fails. */
  logout: () => Promise<void>;
}

/**
 * A fetch that turns a non-JSON error page (a proxy's HTML 403, say) into Svix's JSON error shape:
 * the svix client parses 4xx bodies as JSON and would otherwise lose the status in a SyntaxError.
 */
const jsonErrorFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  if (response.ok || response.status >= 500) return response;
  const text = await response.clone().text();
  try {
    JSON.parse(text);
    return response;
  } catch {
    const body = JSON.stringify({ code: "non_json_answer", detail: text.slice(0, 300) });
    return new Response(body, { status: response.status, headers: { "content-type": "application/json" } });
  }
};

export function endpointClient(access: SvixAccess, policy: RetryPolicy): EndpointClient {
  const svix = new Svix(access.token, {
    ...(access.serverUrl ? { serverUrl: access.serverUrl } : {}),
    requestTimeout: REQUEST_TIMEOUT_MS,
    // svix retries 5xx and network faults itself (twice, no Retry-After, not 429); an empty
    // schedule turns that off so `call`'s single backoff policy is the only one.
    retryScheduleInMs: [],
    fetch: jsonErrorFetch,
  });
  const fix = svixEndpointFix(access.appId, access.apiBase);
  return {
    endpoints: svix.endpoint,
    messages: svix.message,
    attempts: svix.messageAttempt,
    tasks: svix.backgroundTask,
    appId: access.appId,
    apiBase: access.apiBase,
    step: (action) => ({ service: "Svix", action, fix }),
    policy,
    // The token manages every endpoint of the instance (secrets included) and would stay valid
    // after this run. Best effort, once: it expires on its own, and the work is done by now.
    logout: () => svix.authentication.logout().catch(() => {}),
  };
}

function sameTypes(current: EndpointOut, desired: Pick<DesiredEndpoint, "eventTypes">): boolean {
  const have = [...new Set(current.eventTypes ?? [])].sort();
  return have.length === desired.eventTypes.length && have.every((t, i) => t === desired.eventTypes[i]);
}

/** The settings in which the endpoint differs from what the stack wants (disabled included). */
export function driftOf(current: EndpointOut, desired: Omit<DesiredEndpoint, "owner">): string[] {
  const drift: string[] = [];
  if (current.url !== desired.url) drift.push("url");
  if (!sameTypes(current, desired)) drift.push("eventTypes");
  if (current.description !== desired.description) drift.push("description");
  if (current.disabled === true) drift.push("disabled");
  return drift;
}

function needsUpdate(current: EndpointOut, desired: DesiredEndpoint): boolean {
  return (
    driftOf(current, desired).length > 0 ||
    current.metadata?.managedBy !== MANAGED_BY ||
    current.metadata?.owner !== desired.owner
  );
}

/** The endpoint's settings as the stack wants them, in Svix's words. */
export function wantedFields(desired: Omit<DesiredEndpoint, "owner">) {
  return {
    url: desired.url,
    description: desired.description,
    // Svix reads a null filter as "every event type".
    eventTypes: desired.eventTypes.length > 0 ? desired.eventTypes : null,
  };
}

/** Fetches the endpoint by uid; undefined when Svix has none. */
export async function findEndpoint(client: EndpointClient, uid: string): Promise<EndpointOut | undefined> {
  try {
    return await call(
      client.step(`read endpoint ${uid} of app ${client.appId}`),
      () => client.endpoints.get(client.appId, uid),
      client.policy,
    );
  } catch (error) {
    if (answered(error, 404)) return undefined;
    throw error;
  }
}

function checkShape(endpoint: EndpointOut | null | undefined, what: string): EndpointOut {
  if (!endpoint || typeof endpoint.id !== "string" || endpoint.id === "") {
    throw undocumentedFlow(`Svix's answer to ${what} carried no endpoint id`);
  }
  return endpoint;
}

export interface EnsuredEndpoint {
  endpointId: string;
  signingSecret: string;
  action: "created" | "updated" | "unchanged";
  /** The endpoint was disabled (by Svix after failures, or in the dashboard) and is enabled again. */
  wasDisabled: boolean;
}

export async function ensureEndpoint(
  client: EndpointClient,
  desired: DesiredEndpoint,
): Promise<EnsuredEndpoint> {
  const { appId, endpoints, policy } = client;
  const fields = wantedFields(desired);
  let action: EnsuredEndpoint["action"] = "unchanged";
  let wasDisabled = false;
  let endpoint = await findEndpoint(client, desired.uid);
  if (!endpoint) {
    // One key for this run's retries: a create that landed but whose answer was lost is not repeated.
    const idempotencyKey = `clerk-tinybird-${randomUUID()}`;
    try {
      endpoint = await call(
        client.step(`create endpoint ${desired.uid} in app ${appId}`),
        () =>
          endpoints.create(
            appId,
            { ...fields, uid: desired.uid, metadata: { managedBy: MANAGED_BY, owner: desired.owner } },
            { idempotencyKey },
          ),
        policy,
      );
      action = "created";
    } catch (error) {
      // Someone (a parallel run) made it between our read and our create: adopt it below.
      if (!answered(error, 409)) throw error;
      endpoint = await findEndpoint(client, desired.uid);
      if (!endpoint) throw error;
    }
  }
  endpoint = checkShape(endpoint, `the endpoint ${desired.uid} request`);
  if (action !== "created" && needsUpdate(endpoint, desired)) {
    wasDisabled = endpoint.disabled === true;
    const id = endpoint.id;
    const metadata = { ...endpoint.metadata, managedBy: MANAGED_BY, owner: desired.owner };
    endpoint = checkShape(
      await call(
        client.step(`update endpoint ${desired.uid} of app ${appId}`),
        // Svix disables an endpoint after days of failed deliveries; the stack wants it delivering.
        () => endpoints.patch(appId, id, { ...fields, disabled: false, metadata }),
        policy,
      ),
      `the update of endpoint ${desired.uid}`,
    );
    action = "updated";
  }
  const id = endpoint.id;
  const secret = await call(
    client.step(`read the signing secret of endpoint ${desired.uid} in app ${appId}`),
    () => endpoints.getSecret(appId, id),
    policy,
  );
  if (!secret || typeof secret.key !== "string" || secret.key === "") {
    throw undocumentedFlow(`Svix's answer for the signing secret of endpoint ${desired.uid} carried no key`);
  }
  return { endpointId: id, signingSecret: secret.key, action, wasDisabled };
}

export type RemovalOutcome = "deleted" | "absent" | "taken-over";

export interface Removal {
  uid: string;
  /** The owner the last create/update recorded; absent in state from before owners. */
  owner: string | undefined;
  /** The `local.Command`'s name, for the message that suggests `pulumi state delete`. */
  commandName: string;
}

/**
 * Deletes the endpoint with this uid unless another resource has since taken it over (its metadata
 * names a different owner). Gone already is fine: destroy must not fail on what is not there.
 */
export async function removeEndpoint(client: EndpointClient, removal: Removal): Promise<RemovalOutcome> {
  const { uid, owner } = removal;
  const endpoint = await findEndpoint(client, uid);
  if (!endpoint) {
    // Svix answers a missing app with the same 404 as a missing endpoint: "gone" counts only once
    // the app itself answers.
    await call(
      {
        service: "Svix",
        action: `list the endpoints of app ${client.appId}`,
        fix: svixGoneUnconfirmedFix(client.appId, client.apiBase, uid, removal.commandName),
      },
      () => client.endpoints.list(client.appId, { limit: 1 }),
      client.policy,
    );
    return "absent";
  }
  const holder = endpoint.metadata?.owner;
  if (owner !== undefined && holder !== undefined && holder !== owner) return "taken-over";
  try {
    await call(
      client.step(`delete endpoint ${uid} of app ${client.appId}`),
      () => client.endpoints.delete(client.appId, endpoint.id),
      client.policy,
    );
    return "deleted";
  } catch (error) {
    if (answered(error, 404)) return "absent";
    throw error;
  }
}
