import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { ForwarderSecret } from "../../infra/components/forwarder-secret";
import { parseSecret } from "../../lambda/secrets";
import { only, unwrap } from "../support/pulumi-mocks";
import { CREDENTIALS, installStackMocks, KMS_KEY, leakedCredentials, registrationIndex } from "./harness";

const { resources } = installStackMocks();
const SECRET = "aws:secretsmanager/secret:Secret";
const VERSION = "aws:secretsmanager/secretVersion:SecretVersion";

// The signing secret arrives late, as Clerk's does in the stack.
const [signingSecret, setSigningSecret] = pulumi.deferredOutput<string>();
let arnBeforeValue: string;

beforeAll(async () => {
  const plain = new ForwarderSecret("plain", {
    tinybirdToken: pulumi.secret(CREDENTIALS.appendToken),
    signingSecret,
    kmsKeyArn: undefined,
  });
  const encrypted = new ForwarderSecret("encrypted", {
    tinybirdToken: pulumi.secret(CREDENTIALS.appendToken),
    signingSecret: pulumi.secret(CREDENTIALS.signingSecret),
    kmsKeyArn: KMS_KEY,
  });
  arnBeforeValue = await unwrap(plain.arn);
  setSigningSecret(pulumi.secret(CREDENTIALS.signingSecret));
  await Promise.all([unwrap(plain.versionId), unwrap(encrypted.versionId)]);
});

describe("ForwarderSecret", () => {
  it("exists, with its ARN, before its value is known", () => {
    expect(arnBeforeValue).toMatch(/^arn:aws:secretsmanager:eu-west-1:\d{12}:secret:plain-secret-/);
    expect(registrationIndex(resources, SECRET, "plain-secret")).toBeLessThan(
      registrationIndex(resources, VERSION, "plain-value"),
    );
  });

  it("stores exactly the JSON the forwarder reads, as a secret input", () => {
    const version = only(resources, VERSION, "plain-value");
    expect(version.inputs.secretId).toBe("plain-secret-id");
    // Read back by the forwarder's own parser.
    expect(parseSecret(version.inputs.secretString, "plain-secret")).toEqual({
      ok: true,
      secret: {
        tinybirdToken: CREDENTIALS.appendToken,
        signingSecret: CREDENTIALS.signingSecret,
        pseudonymizationKey: CREDENTIALS.pseudonymizationKey,
      },
    });
    expect(version.secretInputs).toContain("secretString");
    expect(leakedCredentials(resources)).toEqual([]);
  });

  it("generates a 256-bit pseudonymisation key per secret", () => {
    const key = only(resources, "random:index/randomBytes:RandomBytes", "plain-pseudonymization-key");
    expect(key.inputs.length).toBe(32);
  });

  it("uses Secrets Manager's own key unless a customer key is configured", () => {
    expect(only(resources, SECRET, "plain-secret").inputs.kmsKeyId).toBeUndefined();
    expect(only(resources, SECRET, "encrypted-secret").inputs.kmsKeyId).toBe(KMS_KEY);
  });
});
