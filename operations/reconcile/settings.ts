/**
 * The reconciliation's inputs, as environment variables (the contract a CI job sets), checked
 * together with messages that name the variable. `--stack` fills the same variables from the
 * deployed stack. It reads Tinybird with the read token only: never the admin or append token.
 */
import { normaliseApiUrl, parseEventTypes, safeUrl, secretKeyProblem } from "../../clerk-access/config";
import { checkApiHost } from "../../lambda/api-host";
import type { StackSettings } from "../../stack-access/stack-settings";

export interface ReconcileSettings {
  secretKey: string;
  clerkApiUrl: string;
  svixServerUrl?: string;
  /** The endpoint's Svix id (ep_…) or uid. */
  endpoint: string;
  tinybirdHost: string;
  /** A token that reads delivered_events (the stack's clerk_read). */
  tinybirdToken: string;
  /**
   * The stack's subscription (CLERK_EVENT_TYPES, comma-separated; `*` for every type); [] means every
   * type; undefined (not set) lets the endpoint's own filter decide what it should have received.
   */
  eventTypes?: string[];
}

export type SettingsResult = { ok: true; settings: ReconcileSettings } | { ok: false; problems: string[] };

export const MANUAL_MODE_INPUTS =
  "set CLERK_SECRET_KEY (the instance's secret key, Clerk dashboard → API keys) and CLERK_ENDPOINT_ID (the " +
  "endpoint's id, Clerk dashboard → Webhooks → the endpoint) as well";

export function readReconcileSettings(env: NodeJS.ProcessEnv): SettingsResult {
  const value = (name: string) => env[name]?.trim() || undefined;
  const problems: string[] = [];

  const secretKey = value("CLERK_SECRET_KEY");
  const keyProblem = secretKeyProblem(secretKey);
  if (keyProblem) problems.push(keyProblem);
  const endpoint = value("CLERK_ENDPOINT_ID");
  if (!endpoint) {
    problems.push("CLERK_ENDPOINT_ID is not set: the endpoint's id (the stack output clerkEndpointId, ep_…)");
  } else if (endpoint === "manual") {
    problems.push(
      `the stack is in manual mode (its endpoint was added in the Clerk dashboard): ${MANUAL_MODE_INPUTS}`,
    );
  }
  const host = value("TINYBIRD_HOST");
  if (!host) {
    problems.push("TINYBIRD_HOST is not set: the workspace's region host, e.g. https://api.tinybird.co");
  } else {
    const checked = checkApiHost(host);
    if (!checked.ok) problems.push(`TINYBIRD_HOST: ${checked.problem}`);
  }
  const tinybirdToken = value("TINYBIRD_TOKEN");
  if (!tinybirdToken) {
    problems.push(
      "TINYBIRD_TOKEN is not set: a token that reads the delivered_events endpoint (the stack's clerk_read: " +
        "`pulumi stack output tinybirdReadToken --show-secrets`)",
    );
  }
  let clerkApiUrl = "";
  let svixServerUrl: string | undefined;
  try {
    clerkApiUrl = normaliseApiUrl(env.CLERK_API_URL);
    svixServerUrl = value("SVIX_SERVER_URL")?.replace(/\/+$/, "");
    if (svixServerUrl) safeUrl("SVIX_SERVER_URL", svixServerUrl);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (problems.length > 0) return { ok: false, problems };

  const types = value("CLERK_EVENT_TYPES");
  const eventTypes = types === "*" ? [] : types ? parseEventTypes(types) : undefined;
  return {
    ok: true,
    settings: {
      secretKey: secretKey!,
      clerkApiUrl,
      ...(svixServerUrl ? { svixServerUrl } : {}),
      endpoint: endpoint!,
      tinybirdHost: host!.replace(/\/+$/, ""),
      tinybirdToken: tinybirdToken!,
      ...(eventTypes ? { eventTypes } : {}),
    },
  };
}

/**
 * The variables a deployed stack provides. CLERK_API_URL and SVIX_SERVER_URL are kept from `env`
 * (the stack does not record them); a manual-mode stack has no Clerk key nor endpoint id, so those
 * come from `env` then.
 */
export function stackEnvironment(stack: StackSettings, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const set = (name: string, value: string | undefined) => (value === undefined ? {} : { [name]: value });
  const manual = stack.clerkEndpointId === "manual" || stack.clerkSecretKey === undefined;
  return {
    ...set("CLERK_API_URL", env.CLERK_API_URL),
    ...set("SVIX_SERVER_URL", env.SVIX_SERVER_URL),
    ...set("CLERK_SECRET_KEY", stack.clerkSecretKey ?? env.CLERK_SECRET_KEY),
    // "manual" makes the reader say what a manual-mode stack needs.
    ...set("CLERK_ENDPOINT_ID", manual ? (env.CLERK_ENDPOINT_ID ?? "manual") : stack.clerkEndpointId),
    TINYBIRD_HOST: stack.tinybirdHost,
    TINYBIRD_TOKEN: stack.tinybirdReadToken,
    // The stack's subscription: an endpoint filter narrowed in the dashboard shows against it.
    CLERK_EVENT_TYPES: stack.clerkEventTypes.length > 0 ? stack.clerkEventTypes.join(",") : "*",
  };
}
