/**
 * The three things `local.Command` asks of the registration: create, update, delete. Inputs come
 * from the environment only; the result is the one JSON line the component parses.
 */
import { randomUUID } from "node:crypto";
import {
  type EndpointClient,
  endpointClient,
  ensureEndpoint,
  removeEndpoint,
} from "../../../clerk-access/endpoint";
import {
  checkEndpoint,
  type EndpointCheck,
  reenabledMessage,
  reenabledSince,
} from "../../../clerk-access/endpoint-check";
import {
  clerkWebhooks,
  ensureSvixApp,
  isAppMissing,
  openSvixAccess,
  type SvixAccess,
} from "../../../clerk-access/svix-access";
import { CommandError, type RetryPolicy, scrubSecrets } from "../../../command-kit/command-shell";
import { CLERK_COMMAND_ENVIRONMENT, readDesiredSettings, readEndpointSettings } from "./config";

/** What create and update print. `owner` lets the next update and the delete recognise the endpoint. */
export interface RegistrationResult {
  appId: string;
  endpointId: string;
  signingSecret: string;
  uid: string;
  owner: string;
}

export interface OperationDeps {
  policy?: RetryPolicy;
  /** Where warnings go; stderr in the CLI. */
  warn?: (line: string) => void;
  now?: () => number;
}

/** Every credential met on the way, so that no message can quote one. */
class Secrets {
  private readonly values = new Set<string>();
  remember = (value: string | undefined): void => {
    // Short strings would redact ordinary words; real credentials are long.
    if (value && value.length >= 8) this.values.add(value);
  };
  scrub(text: string): string {
    return scrubSecrets(text, this.values);
  }
}

/** Works with the endpoint client, then logs its Svix token out, whatever happened. */
async function withEndpoints<T>(
  access: SvixAccess,
  policy: RetryPolicy,
  use: (client: EndpointClient) => Promise<T>,
): Promise<T> {
  const client = endpointClient(access, policy);
  try {
    return await use(client);
  } finally {
    await client.logout();
  }
}

async function register(
  op: "create" | "update",
  env: NodeJS.ProcessEnv,
  deps: OperationDeps,
  secrets: Secrets,
): Promise<RegistrationResult> {
  const settings = readDesiredSettings(env);
  const policy = deps.policy ?? {};
  const webhooks = clerkWebhooks(settings);
  await ensureSvixApp(webhooks, settings, policy);
  const access = await openSvixAccess(webhooks, settings, policy, secrets.remember);
  const previous = settings.previous;
  const owner = (op === "update" ? previous.owner : undefined) ?? randomUUID();
  const ensured = await withEndpoints(access, policy, async (client) => {
    if (op === "update" && previous.appId !== undefined && previous.appId !== access.appId) {
      // The old endpoint lives in another app this key cannot reach; adding a second one silently
      // would leave the first sending events to this stack forever.
      throw new CommandError(
        `The endpoint was registered in Svix app ${previous.appId}, but the Clerk secret key now leads to app ${access.appId}: ` +
          `the key belongs to another Clerk instance, or the instance's webhooks were reset. To move this stack, run ` +
          `\`pulumi up --replace <urn>\` with the URN of ${settings.commandName} (\`pulumi stack --show-urns\`): the old ` +
          `endpoint is then deleted with the old key and a new one registered with the new key`,
      );
    }
    const result = await ensureEndpoint(client, {
      uid: settings.uid,
      url: settings.url,
      eventTypes: settings.eventTypes,
      description: settings.description,
      owner,
    });
    if (result.wasDisabled) {
      const reenabled = await reenabledSince(client, result.endpointId, (deps.now ?? Date.now)());
      deps.warn?.(reenabledMessage(settings.uid, reenabled, settings.stack));
    }
    return result;
  });
  return {
    appId: access.appId,
    endpointId: ensured.endpointId,
    signingSecret: ensured.signingSecret,
    uid: settings.uid,
    owner,
  };
}

async function unregister(env: NodeJS.ProcessEnv, deps: OperationDeps, secrets: Secrets): Promise<void> {
  const settings = readEndpointSettings(env);
  const policy = deps.policy ?? {};
  const warn = deps.warn ?? (() => {});
  const webhooks = clerkWebhooks(settings);
  let access: SvixAccess;
  try {
    access = await openSvixAccess(webhooks, settings, policy, secrets.remember);
  } catch (error) {
    // No Svix app means no endpoint of ours; destroy never creates one just to look inside.
    if (isAppMissing(error)) return;
    throw error;
  }
  const { previous } = settings;
  if (previous.appId !== undefined && previous.appId !== access.appId) {
    warn(
      `the endpoint was registered in Svix app ${previous.appId}, which this Clerk key no longer reaches (it leads to ${access.appId}); ` +
        `delete endpoint ${settings.uid} there from the Clerk dashboard if it still exists`,
    );
  }
  const outcome = await withEndpoints(access, policy, (client) =>
    removeEndpoint(client, { uid: settings.uid, owner: previous.owner, commandName: settings.commandName }),
  );
  if (outcome === "taken-over") {
    warn(`endpoint ${settings.uid} is now managed by another resource (after a replace); left in place`);
  }
}

/**
 * Run on every `pulumi up` (the component's invoke): reads the endpoint and puts back what changed
 * outside Pulumi, a disabled endpoint first of all. Never fails: a check that cannot run must not
 * stop a deployment, so its problem is the result.
 */
export async function runCheck(env: NodeJS.ProcessEnv, deps: OperationDeps = {}): Promise<EndpointCheck> {
  const secrets = new Secrets();
  secrets.remember(env[CLERK_COMMAND_ENVIRONMENT.secretKey.name]?.trim());
  try {
    const settings = readDesiredSettings(env);
    const policy = deps.policy ?? {};
    let access: SvixAccess;
    try {
      access = await openSvixAccess(clerkWebhooks(settings), settings, policy, secrets.remember);
    } catch (error) {
      if (isAppMissing(error)) return { state: "app-missing" };
      throw error;
    }
    return await withEndpoints(access, policy, (client) =>
      checkEndpoint(
        client,
        {
          uid: settings.uid,
          url: settings.url,
          eventTypes: settings.eventTypes,
          description: settings.description,
        },
        (deps.now ?? Date.now)(),
      ),
    );
  } catch (error) {
    return {
      state: "unchecked",
      problem: secrets.scrub(error instanceof Error ? error.message : String(error)),
    };
  }
}

export async function runOperation(
  op: string | undefined,
  env: NodeJS.ProcessEnv,
  deps: OperationDeps = {},
): Promise<RegistrationResult | undefined> {
  const secrets = new Secrets();
  secrets.remember(env[CLERK_COMMAND_ENVIRONMENT.secretKey.name]?.trim());
  try {
    switch (op) {
      case "create":
      case "update":
        return await register(op, env, deps, secrets);
      case "delete":
        await unregister(env, deps, secrets);
        return undefined;
      default:
        throw new CommandError(`unknown operation "${op ?? ""}": expected create, update, delete or check`);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const text = error instanceof CommandError ? message : `unexpected failure: ${message}`;
    // No cause: the error underneath may quote a credential this message was scrubbed of.
    throw new CommandError(secrets.scrub(text));
  }
}
