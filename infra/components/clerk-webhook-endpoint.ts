// INTERFACE PLACEHOLDER: the Clerk registration issue replaces the body; the Args, the outputs and
// the command's stdout keys are the contract the stack composes against.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

export interface ClerkWebhookEndpointArgs {
  /** The forwarder's public URL (`https://…/webhooks/clerk`). */
  url: pulumi.Input<string>;
  /** Clerk secret key (`sk_…`, secret): automatic registration. */
  secretKey?: pulumi.Input<string>;
  /** Manual mode: the signing secret of an endpoint made in the Clerk dashboard (secret). */
  signingSecret?: pulumi.Input<string>;
  /** Event types to subscribe to; empty or absent means all. */
  eventTypes?: pulumi.Input<pulumi.Input<string>[]>;
  /** Clerk Backend API base URL; tests point it at a local server. */
  clerkApiUrl?: pulumi.Input<string>;
}

/** What the registration command prints (one JSON line); the component parses it. */
export interface ClerkRegistrationResult {
  appId: string;
  endpointId: string;
  signingSecret: string;
}

export class ClerkWebhookEndpoint extends pulumi.ComponentResource {
  /** Svix endpoint id, or `manual` when the endpoint was made in the dashboard. */
  public readonly endpointId: pulumi.Output<string>;
  /** The endpoint's `whsec_…` signing secret (secret). */
  public readonly signingSecret: pulumi.Output<string>;

  constructor(name: string, args: ClerkWebhookEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clerk-tinybird:clerk:ClerkWebhookEndpoint", name, {}, opts);
    if (args.signingSecret !== undefined) {
      this.endpointId = pulumi.output("manual");
      this.signingSecret = pulumi.secret(args.signingSecret);
    } else {
      const run = new command.local.Command(
        `${name}-register`,
        {
          create: "echo placeholder",
          environment: { WEBHOOK_URL: args.url, CLERK_SECRET_KEY: pulumi.secret(args.secretKey ?? "") },
          logging: "none",
        },
        { parent: this },
      );
      const result = pulumi.secret(run.stdout.apply((s) => JSON.parse(s) as ClerkRegistrationResult));
      this.endpointId = pulumi.unsecret(result.apply((r) => r.endpointId));
      this.signingSecret = pulumi.secret(result.apply((r) => r.signingSecret));
    }
    this.registerOutputs({ endpointId: this.endpointId });
  }
}
