import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import {
  type ConfigSource,
  KNOWN_KEYS,
  parseStackConfig,
  SETTINGS,
  StackConfigError,
  TINYBIRD_HOSTS,
} from "../../infra/config";
import { DEFAULT_DATASOURCE } from "../../lambda/config";
import { parsePath } from "../../lambda/redaction/paths";
import { PROJECT } from "../../stack-access/outputs";
import { loadProject } from "../../tinybird-model/project";
import { unwrap } from "../support/pulumi-mocks";
import { CREDENTIALS, cliDefaults, PROJECT_FILE, VALID_CONFIG, VALID_SECRET_KEYS } from "./harness";

const ROOT = join(__dirname, "..", "..");

/**
 * A stack's settings as the Pulumi CLI hands them to the program: qualified keys, lists as JSON, and
 * every key Pulumi.yaml declares that the stack does not set with its declared default.
 */
function source(
  values: Record<string, string | string[]>,
  secretKeys: string[] = VALID_SECRET_KEYS,
  defaults: Record<string, string> = cliDefaults(),
): ConfigSource {
  const qualify = (k: string) => (k.includes(":") ? k : `clerk-tinybird:${k}`);
  const map = new Map(
    Object.entries({ ...defaults, ...values }).map(
      ([k, v]) => [qualify(k), Array.isArray(v) ? JSON.stringify(v) : v] as const,
    ),
  );
  const secrets = new Set(secretKeys.map(qualify));
  return {
    stack: "dev",
    keys: () => [...map.keys()],
    get: (k) => map.get(k),
    isSecret: (k) => secrets.has(k),
  };
}

function problemsOf(
  values: Record<string, string | string[]>,
  secretKeys?: string[],
  defaults?: Record<string, string>,
): string[] {
  try {
    parseStackConfig(source(values, secretKeys, defaults));
  } catch (error) {
    if (error instanceof StackConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe("parseStackConfig", () => {
  it("fills every optional setting from the defaults Pulumi.yaml declares", async () => {
    const { tinybirdAdminToken, clerkSecretKey, ...config } = parseStackConfig(source(VALID_CONFIG));
    expect(config).toEqual({
      region: "eu-west-1",
      tinybirdHost: "https://api.eu-west-1.aws.tinybird.co",
      tinybirdDataSource: "clerk_events",
      tinybirdDeploymentWaitMinutes: 120,
      tinybirdDeleteDataOnDestroy: false,
      tinybirdAllowDestructiveOperations: false,
      clerkWebhookSigningSecret: undefined,
      clerkEventTypes: [],
      lambdaMemoryMb: 256,
      lambdaReservedConcurrency: undefined,
      logRetentionDays: 30,
      apiThrottleRateLimit: 50,
      apiThrottleBurstLimit: 100,
      deliveryQuietHours: 24,
      alarmEmail: undefined,
      alarmTopicArn: undefined,
      kmsKeyArn: undefined,
      redactPaths: [],
      pseudonymizePersonalData: false,
      redactPrivateMetadata: true,
      svixSourceIpAllowlist: ["us", "eu", "au", "ca", "in"],
      warnings: [],
    });
    expect(await unwrap(tinybirdAdminToken)).toBe(CREDENTIALS.adminToken);
    expect(await unwrap(clerkSecretKey!)).toBe(CREDENTIALS.clerkSecretKey);
  });

  it("hands credentials on as Pulumi secrets", async () => {
    const config = parseStackConfig(source(VALID_CONFIG));
    expect(await pulumi.isSecret(config.tinybirdAdminToken)).toBe(true);
    expect(await pulumi.isSecret(config.clerkSecretKey!)).toBe(true);
  });

  it("reads every setting a user tunes", () => {
    const config = parseStackConfig(
      source(
        {
          ...VALID_CONFIG,
          "aws:region": "eu-central-1",
          tinybirdHost: "https://api.eu-central-1.aws.tinybird.co/",
          tinybirdDataSource: "auth_events",
          tinybirdDeploymentWaitMinutes: "240",
          tinybirdDeleteDataOnDestroy: "true",
          tinybirdAllowDestructiveOperations: "true",
          clerkEventTypes: ["user.created", "organizationInvitation.accepted", "user.created"],
          lambdaMemoryMb: "512",
          lambdaReservedConcurrency: "20",
          logRetentionDays: "90",
          apiThrottleRateLimit: "80",
          apiThrottleBurstLimit: "160",
          alarmEmail: "oncall@example.com",
          alarmTopicArn: "arn:aws:sns:eu-central-1:123456789012:on-call",
          kmsKeyArn: "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
          redactPaths: ["data.private_metadata", "data.email_addresses.*.email_address"],
          pseudonymizePersonalData: "true",
          redactPrivateMetadata: "false",
          svixSourceIpAllowlist: "US, eu",
        },
        VALID_SECRET_KEYS,
      ),
    );
    expect(config).toMatchObject({
      region: "eu-central-1",
      tinybirdHost: "https://api.eu-central-1.aws.tinybird.co",
      tinybirdDataSource: "auth_events",
      tinybirdDeploymentWaitMinutes: 240,
      tinybirdDeleteDataOnDestroy: true,
      tinybirdAllowDestructiveOperations: true,
      clerkEventTypes: ["user.created", "organizationInvitation.accepted"],
      lambdaMemoryMb: 512,
      lambdaReservedConcurrency: 20,
      logRetentionDays: 90,
      apiThrottleRateLimit: 80,
      apiThrottleBurstLimit: 160,
      alarmEmail: "oncall@example.com",
      alarmTopicArn: "arn:aws:sns:eu-central-1:123456789012:on-call",
      redactPaths: ["data.private_metadata", "data.email_addresses.*.email_address"],
      pseudonymizePersonalData: true,
      redactPrivateMetadata: false,
      svixSourceIpAllowlist: ["us", "eu"],
    });
    expect(config.kmsKeyArn).toMatch(/^arn:aws:kms:eu-central-1:/);
  });

  it("takes manual Clerk mode: a dashboard endpoint's signing secret instead of the secret key", async () => {
    const { clerkSecretKey: _, ...rest } = VALID_CONFIG;
    const config = parseStackConfig(
      source({ ...rest, clerkWebhookSigningSecret: CREDENTIALS.manualSigningSecret }, [
        "tinybirdAdminToken",
        "clerkWebhookSigningSecret",
      ]),
    );
    expect(config.clerkSecretKey).toBeUndefined();
    expect(await unwrap(config.clerkWebhookSigningSecret!)).toBe(CREDENTIALS.manualSigningSecret);
    expect(await pulumi.isSecret(config.clerkWebhookSigningSecret!)).toBe(true);
  });

  it("accepts Tinybird Local, warning that the deployed forwarder cannot reach it", () => {
    const config = parseStackConfig(source({ ...VALID_CONFIG, tinybirdHost: "http://localhost:7181" }));
    expect(config.tinybirdHost).toBe("http://localhost:7181");
    expect(config.warnings.join("\n")).toMatch(/Tinybird Local.*cannot/s);
  });

  it("accepts every Tinybird region host it lists", () => {
    for (const host of TINYBIRD_HOSTS) {
      const config = parseStackConfig(source({ ...VALID_CONFIG, tinybirdHost: host }));
      expect(config.tinybirdHost).toBe(host);
      expect(config.warnings).toEqual([]);
    }
  });

  it("accepts an https host it does not list (a new region), warning with the hosts it knows", () => {
    const config = parseStackConfig(
      source({ ...VALID_CONFIG, tinybirdHost: "https://api.eu-west1.aws.tinybird.co/" }),
    );
    expect(config.tinybirdHost).toBe("https://api.eu-west1.aws.tinybird.co");
    expect(config.warnings).toEqual([
      expect.stringMatching(
        /tinybirdHost "https:\/\/api\.eu-west1\.aws\.tinybird\.co" is not one of .*https:\/\/api\.tinybird\.co.*pulumi config set tinybirdHost/s,
      ),
    ]);
  });

  it("warns about keys it does not read, suggesting the one probably meant", () => {
    const config = parseStackConfig(source({ ...VALID_CONFIG, tinybirdhost: "x", "aws:profile": "dev" }));
    expect(config.warnings).toEqual([
      "clerk-tinybird:tinybirdhost is not a setting this stack reads (did you mean tinybirdHost?); it has no effect.",
    ]);
  });
});

describe("configuration errors", () => {
  it("lists every missing setting at once, each with the command that sets it", () => {
    const problems = problemsOf({}, []);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^aws:region is missing: pulumi config set aws:region /);
    expect(problems[1]).toMatch(/^clerk-tinybird:tinybirdHost is missing: pulumi config set tinybirdHost /);
    expect(problems[2]).toBe(
      "clerk-tinybird:tinybirdAdminToken is missing: pulumi config set --secret tinybirdAdminToken <token> " +
        "(a workspace admin token from Tinybird → Tokens)",
    );
    expect(problems[3]).toMatch(
      /^clerk-tinybird:clerkSecretKey is missing: pulumi config set --secret clerkSecretKey .* or, .*clerkWebhookSigningSecret/,
    );
  });

  it("reports all problems together in one error that Pulumi prints without a stack trace", () => {
    let thrown: unknown;
    try {
      parseStackConfig(source({ ...VALID_CONFIG, lambdaMemoryMb: "64", logRetentionDays: "10" }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StackConfigError);
    expect(pulumi.RunError.isInstance(thrown)).toBe(true);
    const message = (thrown as Error).message;
    expect(message).toMatch(/^Stack 'dev' has 2 configuration problems:\n {2}- /);
    expect(message).toContain("clerk-tinybird:lambdaMemoryMb");
    expect(message).toContain("clerk-tinybird:logRetentionDays");
  });

  it.each([
    ["aws:region", "Ireland", /not an AWS region name/],
    ["tinybirdHost", "api.tinybird.co", /not a URL/],
    ["tinybirdHost", "http://api.tinybird.co", /must use https/],
    ["tinybirdHost", "https://api.tinybird.co/v0/events", /bare API host/],
    ["tinybirdHost", "https://api.tinybird.co?token=p.x", /bare API host/],
    ["tinybirdDataSource", "clerk-events", /not a Tinybird data source name/],
    ["tinybirdDeploymentWaitMinutes", "0", /between 1 and 1440 \(minutes\)/],
    ["tinybirdDeleteDataOnDestroy", "yes", /not true or false/],
    ["clerkEventTypes", "user.created", /not a list of strings/],
    ["clerkEventTypes", ["user created"], /"user created", which is not a Clerk event type/],
    ["lambdaMemoryMb", "64", /between 128 and 10240/],
    ["lambdaMemoryMb", "256.5", /whole number/],
    ["lambdaReservedConcurrency", "0", /stop the forwarder/],
    ["logRetentionDays", "10", /one of CloudWatch's periods: 1, 3, 5, 7, 14, 30/],
    ["apiThrottleRateLimit", "0", /between 1 and 10000/],
    ["apiThrottleBurstLimit", "9000", /between 1 and 5000/],
    ["alarmEmail", "ops", /not an email address/],
    ["alarmTopicArn", "on-call", /not a standard SNS topic ARN/],
    ["alarmTopicArn", "arn:aws:sns:us-east-1:123456789012:on-call", /only notify topics in their own region/],
    ["kmsKeyArn", "arn:aws:kms:eu-west-1:123456789012:alias/forwarder", /not a KMS key ARN/],
    ["kmsKeyArn", "arn:aws:kms:us-east-1:123456789012:key/abcd", /keys in the secret's region \(eu-west-1\)/],
    ["redactPaths", ["data.private_metadata,data.x"], /which is not a dot path/],
    ["pseudonymizePersonalData", "1", /not true or false/],
    ["redactPrivateMetadata", "yes", /not true or false/],
    ["svixSourceIpAllowlist", "us,mars", /"mars" is not a Svix region/],
    ["tinybirdHost", "https://me:hunter2@api.tinybird.co", /carries a user name or password/],
  ] as const)("rejects %s = %j, naming the key and the fix", (key, value, why) => {
    const problems = problemsOf({ ...VALID_CONFIG, [key]: value as string | string[] });
    expect(problems).toHaveLength(1);
    const qualified = key.includes(":") ? key : `clerk-tinybird:${key}`;
    expect(problems[0]!.startsWith(`${qualified} `)).toBe(true);
    expect(problems[0]).toMatch(why);
    expect(problems[0]).toMatch(/: pulumi config (set|rm) /);
  });

  it("accepts exactly the redaction paths the forwarder's parser accepts", () => {
    const samples = [
      "data.private_metadata",
      "data.email_addresses.*.email_address",
      "*",
      "data.phone_numbers.0.phone_number",
      "data.some-key.x_y",
      " data.public_metadata ",
      "data..email",
      "data.email.",
      "data.private_metadata,data.x",
      "data/private_metadata",
      "data.$x",
      "",
    ];
    for (const path of samples) {
      let forwarderAccepts = true;
      try {
        parsePath(path);
      } catch {
        forwarderAccepts = false;
      }
      expect(problemsOf({ ...VALID_CONFIG, redactPaths: [path] }), JSON.stringify(path)).toHaveLength(
        forwarderAccepts ? 0 : 1,
      );
    }
  });

  it("refuses both Clerk modes at once", () => {
    const problems = problemsOf(
      { ...VALID_CONFIG, clerkWebhookSigningSecret: CREDENTIALS.manualSigningSecret },
      [...VALID_SECRET_KEYS, "clerkWebhookSigningSecret"],
    );
    expect(problems).toEqual([
      expect.stringMatching(/^clerk-tinybird:clerkWebhookSigningSecret is set together with/),
    ]);
    expect(problems[0]).toContain("pulumi config rm");
  });

  it("refuses a credential stored in plain text, without repeating it", () => {
    const problems = problemsOf(VALID_CONFIG, ["tinybirdAdminToken"]);
    expect(problems).toEqual([
      "clerk-tinybird:clerkSecretKey is stored in plain text in Pulumi.dev.yaml: pulumi config set --secret " +
        "clerkSecretKey <value> to encrypt it (a secret key from Clerk → API keys (sk_live_… or sk_test_…)); " +
        "if that file was committed, rotate the credential",
    ]);
  });

  it("recognises a Clerk publishable key or a wrong signing secret, without repeating them", () => {
    const publishable = "pk_test_cHVibGlzaGFibGU";
    const problems = problemsOf({ ...VALID_CONFIG, clerkSecretKey: publishable });
    expect(problems).toEqual([expect.stringMatching(/clerkSecretKey holds a publishable key \(pk_…\)/)]);
    const { clerkSecretKey: _, ...manual } = VALID_CONFIG;
    const wrong = problemsOf({ ...manual, clerkWebhookSigningSecret: "not-a-whsec" }, [
      "tinybirdAdminToken",
      "clerkWebhookSigningSecret",
    ]);
    expect(wrong).toEqual([expect.stringMatching(/does not look like a webhook signing secret \(whsec_…\)/)]);
    expect([...problems, ...wrong].join("\n")).not.toMatch(/pk_test_cHVibGlzaGFibGU|not-a-whsec/);
  });
});

describe("the project files", () => {
  const project = PROJECT_FILE;

  it("runs infra/index.ts through tsx on npm, without ts-node's type-check, and names no backend", () => {
    expect(project.name).toBe("clerk-tinybird");
    // The namespace every reader of the stack's settings qualifies keys with.
    expect(project.name).toBe(PROJECT);
    expect(project.main).toBe("infra/index.ts");
    expect(project.runtime).toEqual({
      name: "nodejs",
      options: { typescript: false, nodeargs: "--import tsx", packagemanager: "npm" },
    });
    // A backend here would outrank a team's stored `pulumi login` (infra/run-pulumi.ts chooses instead).
    expect(project.backend).toBeUndefined();
  });

  it("defaults the data source to the forwarder's own default, which is the datafile's name", () => {
    expect(project.config.tinybirdDataSource?.default).toBe(DEFAULT_DATASOURCE);
    expect(loadProject(join(__dirname, "..", "..")).dataSource.definition.name).toBe(DEFAULT_DATASOURCE);
  });

  it("declares every setting of the table with its kind's type, a description, and a default unless required", () => {
    const types = {
      text: "string",
      optionalText: "string",
      integer: "integer",
      boolean: "boolean",
      list: "array",
    };
    for (const [name, row] of Object.entries(SETTINGS)) {
      const declared = project.config[name];
      if (row.key !== undefined) {
        expect(declared, name).toBeUndefined(); // another namespace's key (aws:region)
        continue;
      }
      if (row.kind === "optionalSecret") {
        // Exactly one of the two Clerk credentials is set: Pulumi would demand a declared key without a default.
        expect(declared, name).toBeUndefined();
        continue;
      }
      expect(declared?.description, name).toBeTruthy();
      if (row.kind === "secret") expect(declared, name).toMatchObject({ type: "string", secret: true });
      else expect(declared?.type, name).toBe(types[row.kind]);
      expect("default" in declared!, name).toBe(!row.required);
    }
  });

  it("has no default of its own: outside the Pulumi CLI a defaulted key is missing, and the message says so", () => {
    const problems = problemsOf(VALID_CONFIG, VALID_SECRET_KEYS, {});
    // Blank optional text means "none"; every other defaulted setting has no value without the CLI.
    const defaulted = Object.entries(SETTINGS)
      .filter(([, row]) => !row.required && ["text", "integer", "boolean", "list"].includes(row.kind))
      .map(([name]) => name);
    expect(defaulted.length).toBeGreaterThan(10);
    expect(problems).toEqual(
      defaulted.map((name) =>
        expect.stringMatching(
          new RegExp(
            `^clerk-tinybird:${name} is not set, though Pulumi.yaml declares its default: run the program through the Pulumi CLI`,
          ),
        ),
      ),
    );
  });

  it("declares each setting so the Pulumi CLI accepts it: a known type, items for a list, a default of that type", () => {
    // The CLI refuses the project file otherwise ("The default value specified for configuration key … is
    // not of the expected type"), before any stack runs.
    const ofType = (type: string, items: { type: string } | undefined, value: unknown): boolean => {
      switch (type) {
        case "string":
          return typeof value === "string";
        case "integer":
          return Number.isInteger(value);
        case "boolean":
          return typeof value === "boolean";
        case "array":
          return (
            Array.isArray(value) &&
            items !== undefined &&
            value.every((v) => ofType(items.type, undefined, v))
          );
        default:
          return false;
      }
    };
    for (const [key, declared] of Object.entries(project.config)) {
      const { type, items } = declared as { type: string; items?: { type: string } };
      expect(["string", "integer", "boolean", "array"], key).toContain(type);
      if (type === "array") expect(items?.type, key).toBe("string");
      if ("default" in declared) expect(ofType(type, items, declared.default), key).toBe(true);
      if (declared.secret) expect(declared, key).not.toHaveProperty("default");
    }
  });

  it("declares the always-required settings without a default, the token as a secret", () => {
    expect(project.config.tinybirdHost).toMatchObject({ type: "string" });
    expect(project.config.tinybirdHost).not.toHaveProperty("default");
    expect(project.config.tinybirdAdminToken).toMatchObject({ type: "string", secret: true });
    expect(project.config.tinybirdAdminToken).not.toHaveProperty("default");
  });

  it("declares nothing the program does not read", () => {
    for (const key of Object.keys(project.config)) expect(KNOWN_KEYS, key).toContain(key);
  });

  it.each(["dev", "prod"])(
    "ships an example %s stack that is valid once its credentials are set",
    (stack) => {
      const file = load(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
        config: Record<string, unknown>;
      };
      const values: Record<string, string | string[]> = {};
      for (const [key, value] of Object.entries(file.config)) {
        values[key] = Array.isArray(value) ? value.map(String) : String(value);
        expect(String(value), key).not.toMatch(/^(p\.|sk_|whsec_)/);
      }
      const config = parseStackConfig(
        source({
          ...values,
          tinybirdAdminToken: CREDENTIALS.adminToken,
          clerkSecretKey: CREDENTIALS.clerkSecretKey,
        }),
      );
      expect(config.warnings).toEqual([]);
    },
  );
});
