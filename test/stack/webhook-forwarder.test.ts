import type * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import {
  FORWARDER_TIMEOUT_SECONDS,
  forwarderArchive,
  WebhookForwarder,
} from "../../infra/components/webhook-forwarder";
import { loadConfig } from "../../lambda/config";
import { only, unwrap } from "../support/pulumi-mocks";
import {
  ACCOUNT,
  declaredDefault,
  installStackMocks,
  KMS_KEY,
  leakedCredentials,
  ofType,
  policyOf,
  REGION,
  readSecretStatements,
  registrationIndex,
  SECRET_ARN,
  STUB_CODE,
} from "./harness";

const { resources } = installStackMocks();

const FN = "aws:lambda/function:Function";
const POLICY = "aws:iam/rolePolicy:RolePolicy";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";

// Configured as a stack that sets nothing optional: Pulumi.yaml's defaults.
const PLAIN = {
  tinybirdHost: "https://api.tinybird.co",
  dataSource: "clerk_events",
  redactPaths: declaredDefault<string[]>("redactPaths"),
  pseudonymize: declaredDefault<boolean>("pseudonymizePersonalData"),
  redactPrivateMetadata: declaredDefault<boolean>("redactPrivateMetadata"),
  allowSource: [] as string[],
};
const TUNED = {
  tinybirdHost: "https://api.us-east.aws.tinybird.co",
  dataSource: "auth_events",
  redactPaths: ["data.private_metadata", "data.email_addresses.*.email_address"],
  pseudonymize: true,
  redactPrivateMetadata: false,
  allowSource: ["44.228.126.217", "2600:1f24:64:8000::/56"],
};

let tunedForwarder: WebhookForwarder;
beforeAll(async () => {
  const plain = new WebhookForwarder("plain", {
    code: STUB_CODE,
    secretArn: SECRET_ARN,
    kmsKeyArn: undefined,
    settings: PLAIN,
    memoryMb: declaredDefault("lambdaMemoryMb"),
    reservedConcurrency: undefined,
    logRetentionDays: declaredDefault("logRetentionDays"),
  });
  tunedForwarder = new WebhookForwarder("tuned", {
    code: STUB_CODE,
    secretArn: SECRET_ARN,
    kmsKeyArn: KMS_KEY,
    settings: TUNED,
    memoryMb: 512,
    reservedConcurrency: 20,
    logRetentionDays: 90,
  });
  await Promise.all([unwrap(plain.functionArn), unwrap(tunedForwarder.functionArn)]);
});

describe("WebhookForwarder", () => {
  it("runs the bundle as index.handler on arm64 Node 24 with a timeout inside Svix's 15 s", () => {
    const fn = only(resources, FN, "plain-fn").inputs;
    expect(fn).toMatchObject({ handler: "index.handler", runtime: "nodejs24.x", architectures: ["arm64"] });
    expect(fn.timeout).toBe(FORWARDER_TIMEOUT_SECONDS);
    expect(fn.timeout).toBeLessThan(15);
    expect(fn.memorySize).toBe(256);
    expect(fn.reservedConcurrentExecutions).toBe(-1);
  });

  it("passes memory and reserved concurrency through", () => {
    const fn = only(resources, FN, "tuned-fn").inputs;
    expect(fn.memorySize).toBe(512);
    expect(fn.reservedConcurrentExecutions).toBe(20);
  });

  it("configures the function with the secret's ARN, names and switches — never a credential", () => {
    const plain = only(resources, FN, "plain-fn");
    expect(plain.inputs.environment.variables).toEqual({
      SECRET_ID: SECRET_ARN,
      TINYBIRD_HOST: "https://api.tinybird.co",
      TINYBIRD_DATASOURCE: "clerk_events",
      REDACT_PATHS: "",
      PSEUDONYMIZE_PERSONAL_DATA: "false",
      REDACT_PRIVATE_METADATA: "true",
      ALLOWED_SOURCE_IPS: "",
    });
    expect(only(resources, FN, "tuned-fn").inputs.environment.variables).toEqual({
      SECRET_ID: SECRET_ARN,
      TINYBIRD_HOST: "https://api.us-east.aws.tinybird.co",
      TINYBIRD_DATASOURCE: "auth_events",
      REDACT_PATHS: "data.private_metadata,data.email_addresses.*.email_address",
      PSEUDONYMIZE_PERSONAL_DATA: "true",
      REDACT_PRIVATE_METADATA: "false",
      ALLOWED_SOURCE_IPS: "44.228.126.217,2600:1f24:64:8000::/56",
    });
    expect(plain.secretInputs).not.toContain("environment");
    expect(leakedCredentials(resources)).toEqual([]);
  });

  it("sets an environment the forwarder's own loadConfig reads back as the settings it was given", async () => {
    const read = (fn: string) => {
      const loaded = loadConfig(only(resources, FN, fn).inputs.environment.variables);
      if (!loaded.ok) throw new Error(loaded.problems.join("; "));
      return loaded.config;
    };
    const asGiven = ({ allowSource: _, ...settings }: typeof PLAIN) => ({
      secretId: SECRET_ARN,
      ...settings,
      allowSource: expect.any(Function),
    });
    expect(read("plain-fn")).toEqual(asGiven(PLAIN));
    const tuned = read("tuned-fn");
    expect(tuned).toEqual(asGiven(TUNED));
    expect([tuned.allowSource("44.228.126.217"), tuned.allowSource("2600:1f24:64:80ff::1")]).toEqual([
      true,
      true,
    ]);
    expect(tuned.allowSource("203.0.113.9")).toBe(false);
    expect(await unwrap(tunedForwarder.environment)).toEqual(
      only(resources, FN, "tuned-fn").inputs.environment.variables,
    );
  });

  it("logs into its own log group with a retention, created before the function", () => {
    const logs = only(resources, LOG_GROUP, "plain-logs");
    expect(logs.inputs.retentionInDays).toBe(30);
    expect(only(resources, LOG_GROUP, "tuned-logs").inputs.retentionInDays).toBe(90);
    const fn = only(resources, FN, "plain-fn");
    expect(fn.inputs.loggingConfig).toEqual({ logFormat: "Text", logGroup: "plain-logs" });
    expect(registrationIndex(resources, LOG_GROUP, "plain-logs")).toBeLessThan(
      registrationIndex(resources, FN, "plain-fn"),
    );
  });

  it("lets only Lambda assume its role", () => {
    const role = only(resources, "aws:iam/role:Role", "plain-role");
    expect(JSON.parse(role.inputs.assumeRolePolicy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
      ],
    });
    expect(role.inputs.managedPolicyArns ?? []).toEqual([]);
    expect(ofType(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toEqual([]);
  });

  it("grants exactly: write its own log group's streams, read its one secret", () => {
    const policies = ofType(resources, POLICY).filter((p) => p.name.startsWith("plain-"));
    expect(policies.map((p) => p.name).sort()).toEqual(["plain-logs", "plain-read-secret"]);
    expect(policyOf(only(resources, POLICY, "plain-logs")).Statement).toEqual([
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:plain-logs:*`,
      },
    ]);
    expect(policyOf(only(resources, POLICY, "plain-read-secret")).Statement).toEqual([
      { Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: SECRET_ARN },
    ]);
    for (const p of policies) expect(p.inputs.role).toBe("plain-role-id");
  });

  it("adds kms:Decrypt on the customer key only, only via Secrets Manager, only for this secret", () => {
    expect(policyOf(only(resources, POLICY, "tuned-read-secret")).Statement).toEqual(
      readSecretStatements(SECRET_ARN, KMS_KEY),
    );
  });

  it("attaches the policies before the function exists, so its first invocation may read the secret", () => {
    const fn = registrationIndex(resources, FN, "plain-fn");
    expect(registrationIndex(resources, POLICY, "plain-logs")).toBeLessThan(fn);
    expect(registrationIndex(resources, POLICY, "plain-read-secret")).toBeLessThan(fn);
  });
});

describe("the deployment package", () => {
  it("is lambda/ bundled into index.js, which exports the handler Lambda calls", async () => {
    const assets = (await forwarderArchive().assets) as Record<string, pulumi.asset.StringAsset>;
    expect(Object.keys(assets)).toEqual(["index.js"]);
    const code = await assets["index.js"]!.text;
    const module = { exports: {} as Record<string, unknown> };
    new Function("module", "exports", "require", code)(module, module.exports, require);
    expect(typeof module.exports.handler).toBe("function");
  });
});
