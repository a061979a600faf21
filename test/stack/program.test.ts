/**
 * The whole program (infra/index.ts) with a complete configuration and automatic Clerk registration,
 * against in-process mocks: what it declares, in which order, and what it exposes.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../lambda/config";
import { svixSourceIps } from "../../lambda/svix-source-ips";
import { parseStackOutputs, STACK_OUTPUTS } from "../../stack-access/outputs";
import { only } from "../support/pulumi-mocks";
import {
  ALARM,
  API_ENDPOINT,
  CLERK_STDOUT,
  CREDENTIALS,
  EXECUTION_ARN,
  installStackMocks,
  leakedCredentials,
  METRIC_FILTER,
  ofType,
  policyOf,
  registrationIndex,
  registrationsSettled,
  runProgram,
  SECRET_ARN,
  stackOutputs,
  TINYBIRD_STDOUT,
  VALID_CONFIG,
  VALID_SECRET_KEYS,
} from "./harness";

const { resources } = installStackMocks({ config: VALID_CONFIG, secretConfig: VALID_SECRET_KEYS });
let outputs: Awaited<ReturnType<typeof stackOutputs>>;

beforeAll(async () => {
  const program = await runProgram();
  outputs = await stackOutputs(program);
  await registrationsSettled();
});

const COMMAND = "command:local:Command";
const FN = "aws:lambda/function:Function";
const SECRET = "aws:secretsmanager/secret:Secret";
const VERSION = "aws:secretsmanager/secretVersion:SecretVersion";

describe("the stack", () => {
  it("exports what the tools and the docs' commands read, the credentials as secrets, and nothing else", () => {
    expect(outputs).toEqual({
      webhookUrl: { value: `${API_ENDPOINT}/webhooks/clerk`, secret: false },
      forwarderLogGroup: { value: "forwarder-logs", secret: false },
      dataSourceName: { value: "clerk_events", secret: false },
      clerkEndpointId: { value: CLERK_STDOUT.endpointId, secret: false },
      webhookSigningSecret: { value: CLERK_STDOUT.signingSecret, secret: true },
      tinybirdReadToken: { value: CREDENTIALS.readToken, secret: true },
      tinybirdHost: { value: "https://api.eu-west-1.aws.tinybird.co", secret: false },
      tinybirdAppendToken: { value: CREDENTIALS.appendToken, secret: true },
      redactPaths: { value: [], secret: false },
      pseudonymizePersonalData: { value: false, secret: false },
      redactPrivateMetadata: { value: true, secret: false },
      pseudonymizationKey: { value: CREDENTIALS.pseudonymizationKey, secret: true },
      forwarderEnvironment: { value: only(resources, FN).inputs.environment.variables, secret: false },
    });
  });

  it("exports exactly the outputs its readers know (stack-access/outputs.ts), secret where they expect, each readable", () => {
    const names = Object.keys(STACK_OUTPUTS).sort();
    expect(Object.keys(outputs).sort()).toEqual(names);
    for (const [name, spec] of Object.entries(STACK_OUTPUTS))
      expect(outputs[name]!.secret, name).toBe(spec.secret);
    const values = Object.fromEntries(Object.entries(outputs).map(([name, o]) => [name, o.value]));
    expect(parseStackOutputs(values)).toEqual(values);
  });

  it("registers Clerk's endpoint at the API's webhook URL, once the API can deliver to the forwarder", () => {
    const clerk = only(resources, COMMAND, "clerk-register");
    expect(clerk.inputs.environment.WEBHOOK_URL).toBe(`${API_ENDPOINT}/webhooks/clerk`);
    const registered = registrationIndex(resources, COMMAND, "clerk-register");
    for (const [type, name] of [
      [FN, "forwarder-fn"],
      ["aws:apigatewayv2/route:Route", "webhook-route"],
      ["aws:apigatewayv2/stage:Stage", "webhook-stage"],
      ["aws:lambda/permission:Permission", "webhook-invoke"],
    ] as const) {
      expect(registrationIndex(resources, type, name), name).toBeLessThan(registered);
    }
  });

  it("stores the secret's value last: Tinybird's append token and Clerk's signing secret", () => {
    const version = only(resources, VERSION);
    expect(registrationIndex(resources, VERSION, version.name)).toBeGreaterThan(
      registrationIndex(resources, COMMAND, "clerk-register"),
    );
    expect(registrationIndex(resources, VERSION, version.name)).toBeGreaterThan(
      registrationIndex(resources, COMMAND, "tinybird-provision"),
    );
    expect(version.inputs.secretId).toBe(only(resources, SECRET).id);
    expect(JSON.parse(version.inputs.secretString)).toEqual({
      tinybirdToken: TINYBIRD_STDOUT.appendToken,
      signingSecret: CLERK_STDOUT.signingSecret,
      pseudonymizationKey: CREDENTIALS.pseudonymizationKey,
    });
    expect(version.secretInputs).toEqual(["secretString"]);
  });

  it("creates the secret itself before the forwarder, which knows it only by ARN", () => {
    expect(registrationIndex(resources, SECRET, "credentials-secret")).toBeLessThan(
      registrationIndex(resources, FN, "forwarder-fn"),
    );
    const env = only(resources, FN).inputs.environment.variables;
    expect(env).toEqual({
      SECRET_ID: SECRET_ARN,
      TINYBIRD_HOST: "https://api.eu-west-1.aws.tinybird.co",
      TINYBIRD_DATASOURCE: "clerk_events",
      REDACT_PATHS: "",
      PSEUDONYMIZE_PERSONAL_DATA: "false",
      REDACT_PRIVATE_METADATA: "true",
      // On by default: every region Svix publishes addresses for (lambda/svix-source-ips.ts).
      ALLOWED_SOURCE_IPS: svixSourceIps(["us", "eu", "au", "ca", "in"]).join(","),
    });
    expect(
      policyOf(only(resources, "aws:iam/rolePolicy:RolePolicy", "forwarder-read-secret")).Statement,
    ).toEqual([{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: SECRET_ARN }]);
  });

  it("configures the forwarder with an environment its own loadConfig reads as the stack's settings", () => {
    const loaded = loadConfig(only(resources, FN).inputs.environment.variables);
    if (!loaded.ok) throw new Error(loaded.problems.join("; "));
    expect(loaded.config).toEqual({
      secretId: SECRET_ARN,
      tinybirdHost: VALID_CONFIG.tinybirdHost,
      dataSource: TINYBIRD_STDOUT.dataSource,
      redactPaths: [],
      pseudonymize: false,
      redactPrivateMetadata: true,
      allowSource: expect.any(Function),
    });
    const [svix] = svixSourceIps(["eu"]);
    expect([
      loaded.config.allowSource(svix!.split("/")[0]),
      loaded.config.allowSource("203.0.113.9"),
    ]).toEqual([true, false]);
  });

  it("provisions Tinybird with the admin token kept secret, and never lets a credential out of a secret", () => {
    const tinybird = only(resources, COMMAND, "tinybird-provision");
    expect(tinybird.secretInputs).toContain("environment");
    expect(tinybird.inputs.environment.TINYBIRD_HOST).toBe("https://api.eu-west-1.aws.tinybird.co");
    expect(only(resources, COMMAND, "clerk-register").secretInputs).toContain("environment");
    expect(leakedCredentials(resources)).toEqual([]);
  });

  it("serves the forwarder through POST /webhooks/clerk, invocable only from this API", () => {
    expect(only(resources, "aws:apigatewayv2/route:Route").inputs.routeKey).toBe("POST /webhooks/clerk");
    expect(only(resources, "aws:lambda/permission:Permission").inputs).toMatchObject({
      function: "forwarder-fn",
      sourceArn: `${EXECUTION_ARN}/*/POST/webhooks/clerk`,
    });
    expect(only(resources, "aws:apigatewayv2/stage:Stage").inputs.defaultRouteSettings).toEqual({
      throttlingRateLimit: 50,
      throttlingBurstLimit: 100,
    });
  });

  it("raises the nine alarms (deliveries stopped included) even with no notification target configured", () => {
    expect(ofType(resources, ALARM)).toHaveLength(9);
    expect(ofType(resources, "aws:sns/topic:Topic")).toEqual([]);
    const filters = ofType(resources, METRIC_FILTER);
    expect(filters).toHaveLength(5);
    for (const f of filters) expect(f.inputs.logGroupName).toBe(outputs.forwarderLogGroup?.value);
  });
});
