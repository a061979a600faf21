import * as secretsmanager from "@pulumi/aws/secretsmanager";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ForwarderSecret as ForwarderSecretValue } from "../../lambda/secrets";

export interface ForwarderSecretArgs {
  /** The scoped append token from Tinybird (secret). */
  tinybirdToken: pulumi.Input<string>;
  /** The Clerk endpoint's `whsec_…` signing secret (secret). */
  signingSecret: pulumi.Input<string>;
  /** A customer-managed KMS key ARN to encrypt the secret with; undefined: the AWS-managed key. */
  kmsKeyArn: pulumi.Input<string> | undefined;
}

/**
 * The forwarder's credentials in Secrets Manager. The secret itself exists from the start (the
 * function is configured with its ARN); its value is stored once Tinybird and Clerk have produced it.
 */
export class ForwarderSecret extends pulumi.ComponentResource {
  public readonly arn: pulumi.Output<string>;
  /** The stored value's version: resolves once Tinybird's token and Clerk's signing secret are stored. */
  public readonly versionId: pulumi.Output<string>;
  /** The key the forwarder pseudonymises with, for tools that must write rows the same way (backfill). */
  public readonly pseudonymizationKey: pulumi.Output<string>;

  constructor(name: string, args: ForwarderSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clerk-tinybird:forwarder:ForwarderSecret", name, {}, opts);

    const secret = new secretsmanager.Secret(
      `${name}-secret`,
      {
        description:
          "Clerk → Tinybird forwarder: Tinybird append token, Clerk signing secret, pseudonymisation key",
        ...(args.kmsKeyArn !== undefined ? { kmsKeyId: args.kmsKeyArn } : {}),
      },
      { parent: this },
    );

    // The pseudonymisation key is generated and stored whether or not the forwarder uses it
    // (PSEUDONYMIZE_PERSONAL_DATA decides): switching the option on then never races this value's
    // update, and off-then-on keeps the same key, hence the same pseudonyms. Replacing this resource
    // rotates the key — and changes every pseudonym from then on.
    const key = new random.RandomBytes(`${name}-pseudonymization-key`, { length: 32 }, { parent: this });

    // Typed by the forwarder's own reader, with the key always present.
    const value: pulumi.Output<Required<ForwarderSecretValue>> = pulumi
      .all([args.tinybirdToken, args.signingSecret, key.base64])
      .apply(([tinybirdToken, signingSecret, pseudonymizationKey]) => ({
        tinybirdToken,
        signingSecret,
        pseudonymizationKey,
      }));

    const version = new secretsmanager.SecretVersion(
      `${name}-value`,
      { secretId: secret.id, secretString: pulumi.secret(pulumi.jsonStringify(value)) },
      { parent: this },
    );

    this.arn = secret.arn;
    this.versionId = version.versionId;
    this.pseudonymizationKey = pulumi.secret(key.base64);
    this.registerOutputs({ arn: this.arn });
  }
}
