/**
 * The whole program in manual Clerk mode (an endpoint made in the dashboard), with every optional
 * feature on: pseudonymisation, a customer KMS key, extra redaction paths and both alarm targets.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { only } from "../support/pulumi-mocks";
import {
  ACCOUNT,
  ALARM,
  CREDENTIALS,
  installStackMocks,
  KMS_KEY,
  leakedCredentials,
  ofType,
  policyOf,
  REGION,
  readSecretStatements,
  registrationsSettled,
  runProgram,
  SECRET_ARN,
  stackOutputs,
  TINYBIRD_STDOUT,
} from "./harness";

const ON_CALL = `arn:aws:sns:${REGION}:${ACCOUNT}:on-call`;

const { resources } = installStackMocks({
  stack: "prod",
  config: {
    "aws:region": REGION,
    tinybirdHost: "https://api.eu-west-1.aws.tinybird.co",
    tinybirdAdminToken: CREDENTIALS.adminToken,
    clerkWebhookSigningSecret: CREDENTIALS.manualSigningSecret,
    pseudonymizePersonalData: "true",
    kmsKeyArn: KMS_KEY,
    redactPaths: JSON.stringify(["data.private_metadata", "data.unsafe_metadata"]),
    alarmEmail: "oncall@example.com",
    alarmTopicArn: ON_CALL,
    lambdaReservedConcurrency: "10",
    apiThrottleRateLimit: "20",
    apiThrottleBurstLimit: "30",
    redactPrivateMetadata: "false",
    svixSourceIpAllowlist: "eu",
  },
  secretConfig: ["tinybirdAdminToken", "clerkWebhookSigningSecret"],
});
let outputs: Awaited<ReturnType<typeof stackOutputs>>;

beforeAll(async () => {
  outputs = await stackOutputs(await runProgram());
  await registrationsSettled();
});

describe("the stack in manual Clerk mode, every option on", () => {
  it("registers nothing with Clerk and stores the dashboard endpoint's signing secret", () => {
    expect(ofType(resources, "command:local:Command").map((c) => c.name)).toEqual(["tinybird-provision"]);
    expect(outputs.clerkEndpointId).toEqual({ value: "manual", secret: false });
    const version = only(resources, "aws:secretsmanager/secretVersion:SecretVersion");
    expect(JSON.parse(version.inputs.secretString)).toEqual({
      tinybirdToken: TINYBIRD_STDOUT.appendToken,
      signingSecret: CREDENTIALS.manualSigningSecret,
      pseudonymizationKey: CREDENTIALS.pseudonymizationKey,
    });
    expect(version.secretInputs).toEqual(["secretString"]);
    expect(leakedCredentials(resources)).toEqual([]);
  });

  it("switches pseudonymisation and the extra redaction paths on in the forwarder", () => {
    const fn = only(resources, "aws:lambda/function:Function").inputs;
    expect(fn.environment.variables).toMatchObject({
      REDACT_PATHS: "data.private_metadata,data.unsafe_metadata",
      PSEUDONYMIZE_PERSONAL_DATA: "true",
      REDACT_PRIVATE_METADATA: "false",
      ALLOWED_SOURCE_IPS: "52.215.16.239,54.216.8.72,63.33.109.123,2a05:d028:17:8000::/56",
    });
    expect(fn.reservedConcurrentExecutions).toBe(10);
    expect(only(resources, "random:index/randomBytes:RandomBytes").inputs.length).toBe(32);
  });

  it("encrypts the secret with the customer key and lets the forwarder decrypt with that key only", () => {
    expect(only(resources, "aws:secretsmanager/secret:Secret").inputs.kmsKeyId).toBe(KMS_KEY);
    const statements = policyOf(
      only(resources, "aws:iam/rolePolicy:RolePolicy", "forwarder-read-secret"),
    ).Statement;
    expect(statements).toEqual(readSecretStatements(SECRET_ARN, KMS_KEY));
  });

  it("throttles the stage as configured", () => {
    expect(only(resources, "aws:apigatewayv2/stage:Stage").inputs.defaultRouteSettings).toEqual({
      throttlingRateLimit: 20,
      throttlingBurstLimit: 30,
    });
  });

  it("notifies the emailed topic and the existing one from every alarm", () => {
    const topic = only(resources, "aws:sns/topic:Topic");
    const emailed = `arn:aws:sns:${REGION}:${ACCOUNT}:${topic.name}`;
    expect(only(resources, "aws:sns/topicSubscription:TopicSubscription").inputs).toMatchObject({
      protocol: "email",
      endpoint: "oncall@example.com",
    });
    const alarms = ofType(resources, ALARM);
    expect(alarms).toHaveLength(9);
    for (const alarm of alarms) expect(alarm.inputs.alarmActions).toEqual([emailed, ON_CALL]);
  });
});
