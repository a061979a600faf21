/**
 * What the stack's tests share: the state AWS and the provisioning commands report back to the mocks,
 * a complete valid configuration, and readers for the recorded resource graph.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { load } from "js-yaml";
import { vi } from "vitest";
import { installMocks, type MockOptions, type RecordedResource } from "../support/pulumi-mocks";

export const REGION = "eu-west-1";
export const ACCOUNT = "123456789012";
export const API_ID = "a1b2c3d4e5";
export const API_ENDPOINT = `https://${API_ID}.execute-api.${REGION}.amazonaws.com`;
export const EXECUTION_ARN = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}`;

/** Credentials the provisioning commands and the config hand out; none may appear outside a secret. */
export const CREDENTIALS = {
  adminToken: "p.admin-token-for-tests",
  clerkSecretKey: "sk_test_clerk-secret-for-tests",
  appendToken: "p.append",
  readToken: "p.read",
  signingSecret: "whsec_c2lnbmluZy1zZWNyZXQtZm9yLXRlc3Rz",
  manualSigningSecret: "whsec_bWFudWFsLXNpZ25pbmctc2VjcmV0",
  pseudonymizationKey: "cHNldWRvbnltaXphdGlvbi1rZXktZm9yLXRlc3RzLTMyYg==",
};

export const TINYBIRD_STDOUT = {
  kind: "forward",
  dataSource: "clerk_events",
  appendToken: CREDENTIALS.appendToken,
  readToken: CREDENTIALS.readToken,
};
/** A customer KMS key a stack may give its secret. */
export const KMS_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
/** What stackState reports as the ARN of the forwarder's secret (named `credentials-secret`). */
export const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:credentials-secret-AbCdEf`;

export const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
export const METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter";

/** What ForwarderAlarms watches, as the stack wires it, notifying `topicArn` (none: the console only). */
export const alarmTarget = (topicArn?: string) => ({
  apiId: "api-1",
  stageName: "$default",
  functionName: "forwarder-fn-1",
  logGroupName: "forwarder-logs-1",
  email: undefined,
  topicArn,
});

export const CLERK_STDOUT = { appId: "app_1", endpointId: "ep_1", signingSecret: CREDENTIALS.signingSecret };

/** A stub deployment package, for component tests that do not need lambda/ bundled. */
export const STUB_CODE = new pulumi.asset.AssetArchive({
  "index.js": new pulumi.asset.StringAsset("exports.handler = async () => ({ statusCode: 200 });"),
});

/** What real AWS and the provisioning commands would report for the resources the tests create. */
export const stackState: NonNullable<MockOptions["state"]> = ({ type, name }) => {
  switch (type) {
    case "aws:apigatewayv2/api:Api":
      return { apiEndpoint: API_ENDPOINT, executionArn: EXECUTION_ARN };
    case "aws:lambda/function:Function":
      return {
        arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
        invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}/invocations`,
      };
    case "aws:secretsmanager/secret:Secret":
      return { arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf` };
    case "aws:cloudwatch/logGroup:LogGroup":
      // Like the provider: the ARN without the trailing `:*`.
      return { arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}` };
    case "aws:sns/topic:Topic":
      return { arn: `arn:aws:sns:${REGION}:${ACCOUNT}:${name}` };
    case "random:index/randomBytes:RandomBytes":
      return { base64: CREDENTIALS.pseudonymizationKey, hex: "00" };
    case "command:local:Command":
      if (name.startsWith("tinybird")) return { stdout: JSON.stringify(TINYBIRD_STDOUT) };
      if (name.startsWith("clerk")) return { stdout: JSON.stringify(CLERK_STDOUT) };
      return {};
    default:
      return {};
  }
};

/** A complete, valid stack configuration (automatic Clerk registration). */
export const VALID_CONFIG: Record<string, string> = {
  "aws:region": REGION,
  tinybirdHost: "https://api.eu-west-1.aws.tinybird.co",
  tinybirdAdminToken: CREDENTIALS.adminToken,
  clerkSecretKey: CREDENTIALS.clerkSecretKey,
};
export const VALID_SECRET_KEYS = ["tinybirdAdminToken", "clerkSecretKey"];

/** Pulumi.yaml: the settings it declares, with their types and defaults. */
export const PROJECT_FILE = load(readFileSync(join(__dirname, "..", "..", "Pulumi.yaml"), "utf8")) as {
  name: string;
  main: string;
  runtime: { name: string; options: Record<string, unknown> };
  backend?: { url: string };
  config: Record<
    string,
    { type: string; items?: { type: string }; default?: unknown; secret?: boolean; description?: string }
  >;
};

/** A default Pulumi.yaml declares, typed as declared (component tests configure with these). */
export function declaredDefault<T>(key: string): T {
  const declared = PROJECT_FILE.config[key];
  if (!declared || !("default" in declared)) throw new Error(`Pulumi.yaml declares no default for ${key}`);
  return declared.default as T;
}

/**
 * The defaults as the Pulumi CLI hands them to the program for every key the stack does not set
 * (pulumi/pulumi sdk/go/common/workspace mergeConfig → createConfigValue): scalars formatted as text,
 * lists as JSON. The program reads no default of its own, so the mocks must pass these as the CLI does.
 */
export function cliDefaults(): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, declared] of Object.entries(PROJECT_FILE.config)) {
    if (!("default" in declared)) continue;
    const value = declared.default;
    values[key] = Array.isArray(value) ? JSON.stringify(value) : String(value);
  }
  return values;
}

/** The invokes the program makes in `pulumi up`: the Clerk endpoint's check, which finds it in order. */
export const stackCalls: NonNullable<MockOptions["call"]> = (token) => {
  if (token === "command:local:run") {
    return {
      stdout: JSON.stringify({ state: "ok", uid: "clerk-tinybird.clerk-tinybird.dev", endpointId: "ep_1" }),
      stderr: "",
    };
  }
  throw new Error(`unexpected call to ${token}`);
};

/**
 * Runs the program (infra/index.ts), which declares the stack as it is imported: evaluated afresh,
 * since test files share a worker process (vitest.config.mts) and one may have imported it already.
 */
export function runProgram(): Promise<Record<string, unknown>> {
  vi.resetModules();
  return import("../../infra/index.js");
}

/** Mocks for the whole program: the stack's config over Pulumi.yaml's defaults, as the CLI merges them. */
export function installStackMocks(options: Omit<MockOptions, "state"> = {}) {
  return installMocks({
    call: stackCalls,
    ...options,
    config: { ...cliDefaults(), ...options.config },
    state: stackState,
  });
}

export function ofType(resources: RecordedResource[], type: string): RecordedResource[] {
  return resources.filter((r) => r.type === type);
}

/** The position at which a resource was registered: Pulumi registers a resource only once its inputs resolved. */
export function registrationIndex(resources: RecordedResource[], type: string, name: string): number {
  const index = resources.findIndex((r) => r.type === type && r.name === name);
  if (index < 0) throw new Error(`${type}/${name} was not registered`);
  return index;
}

/** Every credential string found in an input that the program did not mark secret. */
export function leakedCredentials(resources: RecordedResource[]): string[] {
  const leaks: string[] = [];
  for (const r of resources) {
    for (const [key, value] of Object.entries(r.inputs)) {
      if (r.secretInputs.includes(key)) continue;
      const text = JSON.stringify(value) ?? "";
      for (const [label, credential] of Object.entries(CREDENTIALS)) {
        if (text.includes(credential)) leaks.push(`${r.type}/${r.name}.${key} holds ${label}`);
      }
    }
  }
  return leaks;
}

/**
 * What the forwarder's role may do with its secret: read it, and with a customer KMS key, decrypt with
 * that key only through Secrets Manager and only for this secret.
 */
export function readSecretStatements(secretArn: string, kmsKeyArn: string): Record<string, unknown>[] {
  return [
    { Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretArn },
    {
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: kmsKeyArn,
      Condition: {
        StringEquals: {
          "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com`,
          "kms:EncryptionContext:SecretARN": secretArn,
        },
      },
    },
  ];
}

/** A policy document as recorded (a JSON string input). */
export function policyOf(resource: RecordedResource): { Statement: Record<string, unknown>[] } {
  return JSON.parse(resource.inputs.policy);
}

/**
 * Resolves once every resource the program declared has been registered (each registration holds the
 * runtime's RPC queue open while it waits for its inputs). `waitForRPCs` is the runtime's own drain,
 * exported at run time but left out of its typings.
 */
export async function registrationsSettled(): Promise<void> {
  const runtime = pulumi.runtime as typeof pulumi.runtime & { waitForRPCs?: () => Promise<void> };
  if (!runtime.waitForRPCs) throw new Error("@pulumi/pulumi no longer exports runtime.waitForRPCs");
  await runtime.waitForRPCs();
}

/**
 * The names of the resources an Output depends on: the engine creates whatever consumes the Output after
 * them, and deletes it before them. `allResources` is the SDK's own record, present at run time but left
 * out of its typings.
 */
export async function dependencyNames(output: pulumi.Output<unknown>): Promise<string[]> {
  const tracked = output as pulumi.Output<unknown> & {
    allResources?: () => Promise<Iterable<pulumi.Resource>>;
  };
  if (!tracked.allResources) throw new Error("@pulumi/pulumi no longer exposes Output.allResources");
  const urns = await Promise.all(
    [...(await tracked.allResources())].map(
      (resource) => new Promise<string>((resolve) => resource.urn.apply(resolve)),
    ),
  );
  return urns.map((urn) => urn.slice(urn.lastIndexOf("::") + 2)).sort();
}

/** The program's stack outputs, resolved, with whether each is secret. */
export async function stackOutputs(
  program: Record<string, unknown>,
): Promise<Record<string, { value: unknown; secret: boolean }>> {
  // Every export is a stack output: Pulumi exports plain values (settings) as well as Outputs.
  const entries = await Promise.all(
    Object.entries(program)
      .filter(([k]) => k !== "default")
      .map(async ([k, v]) => {
        const output = pulumi.output(v) as pulumi.Output<unknown>;
        const [value, secret] = await Promise.all([
          new Promise((resolve) => output.apply(resolve)),
          pulumi.isSecret(output),
        ]);
        return [k, { value, secret }] as const;
      }),
  );
  return Object.fromEntries(entries);
}
