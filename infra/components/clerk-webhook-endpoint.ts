import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG, endpointUid, normaliseApiUrl, parseEventTypes } from "../../clerk-access/config";
import { parseResultLine } from "../../command-kit/command-shell";
import type { RegistrationResult } from "../provisioning/clerk/operations";
import { provisioningCommands } from "./provisioning-command";

export interface ClerkWebhookEndpointArgs {
  /** The forwarder's public URL (`https://…/webhooks/clerk`). */
  url: pulumi.Input<string>;
  /** Clerk secret key (`sk_…`, secret): automatic registration. Exactly one of this and `signingSecret`. */
  secretKey: pulumi.Input<string> | undefined;
  /** Manual mode: the signing secret of an endpoint made in the Clerk dashboard (secret). */
  signingSecret: pulumi.Input<string> | undefined;
  /** Event types to subscribe to; empty means all. */
  eventTypes: pulumi.Input<pulumi.Input<string>[]>;
  /** Clerk Backend API base URL; tests point it at a local server. */
  clerkApiUrl?: pulumi.Input<string>;
  /** Svix API base URL; by default the region in Clerk's login link decides. Tests point it at a local server. */
  svixServerUrl?: pulumi.Input<string>;
}

/** What the registration command prints (one JSON line); the component parses it. */
export type ClerkRegistrationResult = Pick<RegistrationResult, "appId" | "endpointId" | "signingSecret">;

/** The instance kind a key belongs to: switching kinds always means another instance and Svix app. */
export function instanceKind(secretKey: string): "production" | "development" | "unknown" {
  if (secretKey.startsWith("sk_live_")) return "production";
  if (secretKey.startsWith("sk_test_")) return "development";
  return "unknown";
}

function parseResult(stdout: string): ClerkRegistrationResult {
  const { appId, endpointId, signingSecret } = parseResultLine(stdout) ?? {};
  if (typeof endpointId !== "string" || typeof signingSecret !== "string") {
    throw new Error("the Clerk registration command printed no {endpointId, signingSecret} result");
  }
  return { appId: typeof appId === "string" ? appId : "", endpointId, signingSecret };
}

/**
 * The stack's Clerk webhook endpoint. With a Clerk secret key it registers the endpoint itself
 * (Clerk Backend API → the instance's Svix app), keeps its URL and event types in line and removes
 * it on destroy; with a signing secret (manual mode) it only passes that secret on.
 */
export class ClerkWebhookEndpoint extends pulumi.ComponentResource {
  /** Svix endpoint id, or `manual` when the endpoint was made in the dashboard. */
  public readonly endpointId: pulumi.Output<string>;
  /** The endpoint's `whsec_…` signing secret (secret). */
  public readonly signingSecret: pulumi.Output<string>;

  constructor(name: string, args: ClerkWebhookEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clerk-tinybird:clerk:ClerkWebhookEndpoint", name, {}, opts);
    const hasKey = args.secretKey !== undefined;
    const hasSecret = args.signingSecret !== undefined;
    if (hasKey === hasSecret) {
      throw new pulumi.ResourceError(
        `${name}: give exactly one of secretKey (config ${CONFIG.secretKey}: the stack registers the endpoint) and ` +
          `signingSecret (config ${CONFIG.signingSecret}: manual mode, an endpoint made in the Clerk dashboard); ` +
          (hasKey ? "both were given" : "neither was given"),
        this,
      );
    }
    if (args.signingSecret !== undefined) {
      this.endpointId = pulumi.output("manual");
      this.signingSecret = pulumi.secret(args.signingSecret);
    } else {
      const result = this.register(name, args, args.secretKey!);
      this.endpointId = pulumi.unsecret(result.apply((r) => r.endpointId));
      this.signingSecret = pulumi.secret(result.apply((r) => r.signingSecret));
    }
    this.registerOutputs({ endpointId: this.endpointId, signingSecret: this.signingSecret });
  }

  private register(
    name: string,
    args: ClerkWebhookEndpointArgs,
    secretKey: pulumi.Input<string>,
  ): pulumi.Output<ClerkRegistrationResult> {
    const project = pulumi.getProject();
    const stack = pulumi.getStack();
    const uid = endpointUid(project, stack);
    const key = pulumi.secret(secretKey);
    const apiUrl = pulumi.output(args.clerkApiUrl).apply(normaliseApiUrl);
    const commandName = `${name}-register`;
    const run = new command.local.Command(
      commandName,
      {
        ...provisioningCommands("infra/provisioning/clerk/cli.ts"),
        // Credentials only here: a failing command's string is printed in full.
        environment: {
          CLERK_SECRET_KEY: key,
          CLERK_API_URL: apiUrl,
          WEBHOOK_URL: args.url,
          EVENT_TYPES: pulumi
            .output(args.eventTypes)
            .apply((types) => parseEventTypes(types.join(",")).join(",")),
          ENDPOINT_UID: uid,
          DESCRIPTION: `clerk-tinybird: Clerk events to Tinybird for stack ${stack} (project ${project})`,
          COMMAND_NAME: commandName,
          ...(args.svixServerUrl !== undefined ? { SVIX_SERVER_URL: args.svixServerUrl } : {}),
        },
        // A new URL or event list updates the endpoint in place (same id, same secret); another
        // uid or another Clerk instance is another endpoint: create it, then delete the old one
        // with the old key.
        triggers: [uid, apiUrl, pulumi.unsecret(key.apply(instanceKind))],
        // stdout carries the signing secret: never logged. stderr carries only scrubbed messages
        // and the warnings of a destroy (endpoint left to its successor, app no longer reachable),
        // which nobody would see otherwise: a delete's output is read by no program.
        logging: "stderr",
      },
      { parent: this, additionalSecretOutputs: ["stdout"] },
    );
    return pulumi.secret(run.stdout.apply(parseResult));
  }
}
