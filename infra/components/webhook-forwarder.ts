import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as iam from "@pulumi/aws/iam";
import * as lambda from "@pulumi/aws/lambda";
import * as pulumi from "@pulumi/pulumi";
import { buildForwarderBundle } from "../../lambda/build";
import { FORWARDER_ENVIRONMENT, type ForwarderSettings, writeVariable } from "../../lambda/config";

/** The forwarder's settings (lambda/config.ts), a variable of its environment each; SECRET_ID is `secretArn`. */
export type ForwarderSettingInputs = {
  [K in Exclude<keyof ForwarderSettings, "secretId">]: pulumi.Input<ForwarderSettings[K]>;
};

export interface WebhookForwarderArgs {
  /** ARN of the Secrets Manager secret holding `{tinybirdToken, signingSecret, pseudonymizationKey?}`. */
  secretArn: pulumi.Input<string>;
  /** The customer KMS key encrypting that secret, if any: the role then may decrypt with it (only). */
  kmsKeyArn: pulumi.Input<string> | undefined;
  /**
   * What the forwarder is configured with: the Tinybird host and data source, the redaction switches,
   * and the addresses allowed to call (lambda/svix-source-ips.ts; others are answered 403 before any
   * secret is read, none: any address).
   */
  settings: ForwarderSettingInputs;
  memoryMb: pulumi.Input<number>;
  /** Undefined: no reservation (the HTTP API's throttling bounds concurrency instead). */
  reservedConcurrency: pulumi.Input<number> | undefined;
  /** Retention of the function's log group. */
  logRetentionDays: pulumi.Input<number>;
  /** The deployment package; default: `lambda/` bundled now with esbuild, stored as `index.js`. */
  code?: pulumi.Input<pulumi.asset.Archive>;
}

/**
 * The forwarder's own budget ends each request about 10 s after receipt (no Tinybird call starts or
 * runs past it). The timeout sits above that, so a slow Tinybird ends in the forwarder's 503 rather
 * than a killed invocation, and below the 15 s after which Svix stops waiting.
 */
export const FORWARDER_TIMEOUT_SECONDS = 12;

/** The deployment package the stack ships: the same bundle the tests and the bench load. */
export function forwarderArchive(): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive({
    "index.js": new pulumi.asset.StringAsset(buildForwarderBundle().code),
  });
}

/** `kms:Decrypt` on the key, only when Secrets Manager asks on the role's behalf, for this one secret. */
export function kmsDecryptVia(kmsKeyArn: string, secretArn: string) {
  // arn:aws:secretsmanager:<region>:<account>:secret:<name>
  const region = secretArn.split(":")[3];
  return {
    Effect: "Allow",
    Action: "kms:Decrypt",
    Resource: kmsKeyArn,
    Condition: {
      StringEquals: {
        "kms:ViaService": `secretsmanager.${region}.amazonaws.com`,
        "kms:EncryptionContext:SecretARN": secretArn,
      },
    },
  };
}

/** The Lambda that verifies Clerk's webhooks and appends them to Tinybird, with its role and logs. */
export class WebhookForwarder extends pulumi.ComponentResource {
  public readonly functionName: pulumi.Output<string>;
  public readonly functionArn: pulumi.Output<string>;
  /** What an API Gateway integration invokes. */
  public readonly invokeArn: pulumi.Output<string>;
  public readonly logGroupName: pulumi.Output<string>;
  /** The variables the function runs with: names and switches, never a credential. */
  public readonly environment: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: WebhookForwarderArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clerk-tinybird:forwarder:WebhookForwarder", name, {}, opts);

    // Created before the function, which logs only here: Lambda never makes an unmanaged,
    // never-expiring /aws/lambda/<name> group, and the role can be scoped to this one.
    const logGroup = new cloudwatch.LogGroup(
      `${name}-logs`,
      { retentionInDays: args.logRetentionDays },
      { parent: this },
    );

    const role = new iam.Role(
      `${name}-role`,
      {
        description: "Clerk → Tinybird forwarder: writes its own logs, reads its own secret",
        assumeRolePolicy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
      },
      { parent: this },
    );

    // Not AWSLambdaBasicExecutionRole: that one may create and write any log group in the account.
    const logsPolicy = new iam.RolePolicy(
      `${name}-logs`,
      {
        role: role.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
              Resource: pulumi.interpolate`${logGroup.arn}:*`,
            },
          ],
        }),
      },
      { parent: this },
    );

    const secretPolicy = new iam.RolePolicy(
      `${name}-read-secret`,
      {
        role: role.id,
        policy: pulumi.all([args.kmsKeyArn, args.secretArn]).apply(([kmsKeyArn, secretArn]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretArn },
              // With the AWS-managed key Secrets Manager decrypts on its own; a customer key needs the
              // caller's grant: only through Secrets Manager, and only for this secret (Secrets Manager
              // puts the secret's ARN in the encryption context of every call it makes to KMS).
              ...(kmsKeyArn ? [kmsDecryptVia(kmsKeyArn, secretArn)] : []),
            ],
          }),
        ),
      },
      { parent: this },
    );

    const settings = { secretId: args.secretArn, ...args.settings };
    const environment: Record<string, pulumi.Output<string>> = {};
    for (const key of Object.keys(FORWARDER_ENVIRONMENT) as (keyof ForwarderSettings)[]) {
      environment[FORWARDER_ENVIRONMENT[key].name] = pulumi
        .output(settings[key])
        .apply((value) => writeVariable(key, value as never));
    }

    const fn = new lambda.Function(
      `${name}-fn`,
      {
        description: "Verifies Clerk (Svix) webhooks and appends them to Tinybird",
        code: args.code ?? forwarderArchive(),
        handler: "index.handler",
        runtime: lambda.Runtime.NodeJS24dX,
        architectures: ["arm64"],
        memorySize: args.memoryMb,
        timeout: FORWARDER_TIMEOUT_SECONDS,
        // -1 is Lambda's "no reservation".
        reservedConcurrentExecutions: args.reservedConcurrency ?? -1,
        role: role.arn,
        loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
        // Names and switches only: the credentials are fetched from the secret at run time.
        environment: { variables: environment },
      },
      // The policies before the function, so its first invocation already has its permissions.
      { parent: this, dependsOn: [logsPolicy, secretPolicy] },
    );

    this.functionName = fn.name;
    this.functionArn = fn.arn;
    this.invokeArn = fn.invokeArn;
    this.logGroupName = logGroup.name;
    this.environment = pulumi.output(environment);
    this.registerOutputs({
      functionName: this.functionName,
      functionArn: this.functionArn,
      logGroupName: this.logGroupName,
    });
  }
}
