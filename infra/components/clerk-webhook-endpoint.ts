import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG, endpointUid, normaliseApiUrl } from "../../clerk-access/config";
import { checkMessage, type EndpointCheck } from "../../clerk-access/endpoint-check";
import { parseResultLine } from "../../command-kit/command-shell";
import { CLERK_COMMAND_ENVIRONMENT } from "../provisioning/clerk/config";
import type { RegistrationResult } from "../provisioning/clerk/operations";
import { commandEnvironment, provisioningCommand, provisioningCommands } from "./provisioning-command";

const SCRIPT = "infra/provisioning/clerk/cli.ts";

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
    let checked: pulumi.Output<string> | undefined;
    if (args.signingSecret !== undefined) {
      this.endpointId = pulumi.output("manual");
      this.signingSecret = pulumi.secret(args.signingSecret);
      // The stack cannot see an endpoint made in the dashboard: say how to check it by hand.
      if (!pulumi.runtime.isDryRun()) pulumi.log.info(manualCheckSteps(pulumi.getStack()), this);
    } else {
      const { result, check } = this.register(name, args, args.secretKey!);
      this.endpointId = pulumi.unsecret(result.apply((r) => r.endpointId));
      this.signingSecret = pulumi.secret(result.apply((r) => r.signingSecret));
      checked = check;
    }
    this.registerOutputs({
      endpointId: this.endpointId,
      signingSecret: this.signingSecret,
      ...(checked ? { endpointCheck: checked } : {}),
    });
  }

  private register(
    name: string,
    args: ClerkWebhookEndpointArgs,
    secretKey: pulumi.Input<string>,
  ): { result: pulumi.Output<ClerkRegistrationResult>; check?: pulumi.Output<string> } {
    const project = pulumi.getProject();
    const stack = pulumi.getStack();
    const uid = endpointUid(project, stack);
    const key = pulumi.secret(secretKey);
    const apiUrl = pulumi.output(args.clerkApiUrl).apply(normaliseApiUrl);
    const commandName = `${name}-register`;
    // Credentials only here: a failing command's string is printed in full.
    const environment = commandEnvironment(CLERK_COMMAND_ENVIRONMENT, {
      secretKey: key,
      clerkApiUrl: apiUrl,
      svixServerUrl: args.svixServerUrl,
      uid,
      url: args.url,
      eventTypes: pulumi.output(args.eventTypes),
      description: `clerk-tinybird: Clerk events to Tinybird for stack ${stack} (project ${project})`,
      commandName,
      stack,
    });
    const run = new command.local.Command(
      commandName,
      {
        ...provisioningCommands(SCRIPT),
        environment,
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
    const result = pulumi.secret(run.stdout.apply(parseResult));
    // A preview changes nothing: the check runs in `pulumi up` only.
    if (pulumi.runtime.isDryRun()) return { result };
    return { result, check: this.checkEndpoint(environment, run, stack, commandName) };
  }

  /**
   * Reads the endpoint on every `pulumi up`, after the registration, and puts back what changed
   * outside Pulumi (a disabled endpoint first of all), reporting it as a warning. A `local.run`
   * invoke rather than the command's update: an update runs only when an input changed, and an input
   * made to change on every run would show the command as changed in every preview (and fail
   * `--expect-no-changes`). See docs/clerk.md.
   */
  private checkEndpoint(
    environment: Record<string, pulumi.Output<string>>,
    run: command.local.Command,
    stack: string,
    commandName: string,
  ): pulumi.Output<string> {
    const check = command.local.runOutput(
      {
        // Nothing the check meets may fail the deployment, not even a crash: no result is said instead.
        command: `${provisioningCommand(SCRIPT, "check")} || exit 0`,
        environment,
        addPreviousOutputInEnv: false,
        // Its one JSON line is read here and said as a warning.
        logging: "none",
      },
      { parent: this, dependsOn: [run] },
    );
    return check.stdout.apply((stdout) => {
      const result = parseResultLine(stdout) as EndpointCheck | undefined;
      const message = result
        ? checkMessage(result, stack, commandName)
        : "Could not check the Clerk webhook endpoint (the deployment goes on): the check printed no result";
      if (message) pulumi.log.warn(message, this);
      return result?.state ?? "unchecked";
    });
  }
}

/** What a manual-mode stack's `pulumi up` says: the endpoint is in the dashboard, checked there. */
export function manualCheckSteps(stack: string): string {
  return (
    "Manual mode: this stack cannot see its Clerk webhook endpoint. In the Clerk dashboard → Webhooks, check that " +
    "the endpoint for this stack's webhookUrl is enabled (Svix disables one after about 5 days of failures) and " +
    "subscribes to the events you want; if it was disabled, enable it, then find and deliver what it missed with " +
    `\`npm run reconcile -- --stack ${stack} --since <when it stopped> --repair\` (CLERK_SECRET_KEY and ` +
    "CLERK_ENDPOINT_ID set; docs/operating.md)."
  );
}
