/**
 * The registration command's environment, written once: the ClerkWebhookEndpoint component writes
 * every variable (infra/components/clerk-webhook-endpoint.ts), the command reads them back here;
 * test/clerk/component.test.ts feeds the one through the other. Every credential arrives here and
 * nowhere else: never on the command line, which is printed in full when the command fails.
 */

import {
  type AccessSettings,
  CONFIG,
  normaliseApiUrl,
  parseEventTypes,
  safeUrl,
} from "../../../clerk-access/config";
import {
  optionalText,
  readVariable,
  requiredText,
  variable,
  type WrittenOf,
} from "../../../command-kit/command-environment";
import { CommandError, parseResultLine } from "../../../command-kit/command-shell";

const KEY_FIX = `set the Clerk secret key with \`pulumi config set --secret ${CONFIG.secretKey} sk_…\`, or use manual mode (${CONFIG.signingSecret})`;

export const CLERK_COMMAND_ENVIRONMENT = {
  secretKey: variable<string, string>({
    name: "CLERK_SECRET_KEY",
    write: (key) => key,
    read: (text, name) => {
      const key = requiredText(name, KEY_FIX).read(text, name);
      // Never echo the value: a publishable key is harmless, but this might be anything.
      if (!key.startsWith("sk_")) {
        throw new CommandError(
          `${name} does not look like a Clerk secret key (they start with sk_test_ for a development instance and sk_live_ for production): ${KEY_FIX}`,
        );
      }
      return key;
    },
  }),
  /** Clerk's Backend API; unset means https://api.clerk.com. */
  clerkApiUrl: variable<string, string>({
    name: "CLERK_API_URL",
    write: normaliseApiUrl,
    read: normaliseApiUrl,
  }),
  /** Svix API base override (tests, private deployments); otherwise the login link's region decides. */
  svixServerUrl: variable<string | undefined, string | undefined>({
    name: "SVIX_SERVER_URL",
    write: (url) => url ?? "",
    read: (text, name) => {
      const url = text?.replace(/\/+$/, "");
      return url ? safeUrl(name, url) : undefined;
    },
  }),
  /** The endpoint's stable identity (clerk-access/config.ts#endpointUid). */
  uid: optionalText("ENDPOINT_UID"),
  /** The forwarder's public URL, where Svix delivers. */
  url: variable<string, string>({
    name: "WEBHOOK_URL",
    write: (url) => url,
    read: (text, name) =>
      safeUrl(name, requiredText(name, "the stack passes the forwarder's public URL").read(text, name)),
  }),
  /** Comma-separated, sorted, each once; empty means every event. */
  eventTypes: variable<string[], string[]>({
    name: "EVENT_TYPES",
    write: (types) => parseEventTypes(types.join(",")).join(","),
    read: parseEventTypes,
  }),
  description: optionalText("DESCRIPTION"),
  /** Name of the `local.Command` resource, for messages that suggest `pulumi up --replace`. */
  commandName: optionalText("COMMAND_NAME"),
  /** The stack's name, for the commands messages suggest. */
  stack: optionalText("STACK_NAME"),
};

/** What the component gives the command: a value per variable (undefined: not set). */
export type ClerkCommandSettings = {
  [K in keyof typeof CLERK_COMMAND_ENVIRONMENT]: WrittenOf<(typeof CLERK_COMMAND_ENVIRONMENT)[K]>;
};

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

export interface EndpointSettings extends AccessSettings {
  uid: string;
  commandName: string;
  /** The stack's name, or `<stack>` when the command runs outside Pulumi. */
  stack: string;
  previous: PreviousRun;
}

export interface DesiredSettings extends EndpointSettings {
  url: string;
  eventTypes: string[];
  description: string;
}

const E = CLERK_COMMAND_ENVIRONMENT;

/** What every operation needs: access, and which endpoint (delete needs no more). */
export function readEndpointSettings(env: NodeJS.ProcessEnv): EndpointSettings {
  const secretKey = readVariable(E.secretKey, env);
  const svixServerUrl = readVariable(E.svixServerUrl, env);
  const previous = parsePreviousRun(env.PULUMI_COMMAND_STDOUT);
  // The last result names the uid too, so a delete still finds the endpoint if the variable is lost.
  const uid =
    readVariable(E.uid, env) ||
    previous.uid ||
    requiredText(E.uid.name, "the ClerkWebhookEndpoint component sets it; run this through Pulumi").read(
      undefined,
      E.uid.name,
    );
  return {
    secretKey,
    clerkApiUrl: readVariable(E.clerkApiUrl, env),
    ...(svixServerUrl ? { svixServerUrl } : {}),
    uid,
    commandName: readVariable(E.commandName, env) ?? "the ClerkWebhookEndpoint's register command",
    stack: readVariable(E.stack, env) ?? "<stack>",
    previous,
  };
}

/** What create, update and the check need besides: the endpoint as the stack wants it. */
export function readDesiredSettings(env: NodeJS.ProcessEnv): DesiredSettings {
  const base = readEndpointSettings(env);
  return {
    ...base,
    url: readVariable(E.url, env),
    eventTypes: readVariable(E.eventTypes, env),
    description: readVariable(E.description, env) ?? `clerk-tinybird (${base.uid})`,
  };
}
