/**
 * Reads the forwarder's secret with the AWS SDK v3 Secrets Manager client, so the standard
 * `AWS_REGION` and `AWS_ENDPOINT_URL_SECRETS_MANAGER` variables apply, and turns every failure into
 * a value: retryable outages apart from mistakes an operator must fix.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { parseSecret, type SecretRead } from "./secrets";

export interface SecretsManagerTimeouts {
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

const ATTEMPTS = 2;
const CONNECTION_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 1_500;
/** The longest a read can take: every attempt timing out, plus the SDK's backoff between them. */
export const SECRET_READ_MAX_MS = ATTEMPTS * (CONNECTION_TIMEOUT_MS + REQUEST_TIMEOUT_MS) + 500;

/**
 * Short timeouts and one retry: a read must leave most of Svix's 15 s for Tinybird. A read that
 * fails answers 503 and Svix retries the event later.
 */
export function createSecretsManagerClient(timeouts: SecretsManagerTimeouts = {}): SecretsManagerClient {
  return new SecretsManagerClient({
    maxAttempts: ATTEMPTS,
    requestHandler: {
      connectionTimeout: timeouts.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
      requestTimeout: timeouts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      // Without it the SDK only logs a warning when requestTimeout passes, and waits on.
      throwOnRequestTimeout: true,
    },
  });
}

// Errors a retry cannot cure (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html).
const OPERATOR_FIXES: Record<string, string> = {
  ResourceNotFoundException: "create it, or point SECRET_ID at the secret's ARN",
  AccessDeniedException:
    "allow secretsmanager:GetSecretValue on it (and kms:Decrypt on its key) to the function's role",
  DecryptionFailure: "allow kms:Decrypt on the secret's KMS key to the function's role",
  InvalidRequestException: "the secret is scheduled for deletion or disabled: restore it",
  InvalidParameterException: "check SECRET_ID",
};

/**
 * On a first deployment the secret exists before its value: the stack stores the value only after
 * Clerk registered the endpoint (the signing secret comes from that). A delivery in that window is
 * retried later (503), not reported as a misconfiguration.
 */
function isValueNotYetStored(name: string, message: string): boolean {
  return name === "ResourceNotFoundException" && /secret value for staging label/i.test(message);
}

export function createSecretsManagerReader(
  client: SecretsManagerClient,
  secretId: string,
): () => Promise<SecretRead> {
  return async () => {
    let secretString: string | undefined;
    try {
      const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      secretString = answer.SecretString;
    } catch (error) {
      const name = error instanceof Error ? error.name : "Error";
      const message = error instanceof Error ? error.message : String(error);
      const fix = OPERATOR_FIXES[name];
      if (fix && !isValueNotYetStored(name, message)) {
        return {
          ok: false,
          failure: { kind: "misconfigured", detail: `Secrets Manager: ${name} for ${secretId}: ${fix}` },
        };
      }
      return {
        ok: false,
        failure: {
          kind: "secrets_unavailable",
          detail: `Secrets Manager GetSecretValue(${secretId}) failed: ${name}: ${message}`,
        },
      };
    }
    if (secretString === undefined) {
      return {
        ok: false,
        failure: {
          kind: "misconfigured",
          detail: `secret ${secretId} has no SecretString (binary secrets are not read): store it as JSON text`,
        },
      };
    }
    return parseSecret(secretString, secretId);
  };
}
