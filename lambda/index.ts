/**
 * The Lambda entry point (`index.handler`). Dependencies are built once per container from the
 * environment; the per-request work is in forwarder.ts. A wrong environment does not crash the
 * container: every request answers 500 and logs which variable to fix.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { loadConfig } from "./config";
import { createHandler, createMisconfiguredHandler, type Handler } from "./forwarder";
import { createJsonLogger } from "./logger";
import { createSecretCache } from "./secrets";
import {
  createSecretsManagerClient,
  createSecretsManagerReader,
  SECRET_READ_MAX_MS,
} from "./secrets-manager";
import { createTinybirdClient } from "./tinybird";

export const SERVICE = "clerk-tinybird-forwarder";

function createFromEnvironment(env: NodeJS.ProcessEnv): Handler {
  const logger = createJsonLogger({ service: SERVICE });
  const loaded = loadConfig(env);
  if (!loaded.ok) return createMisconfiguredHandler(loaded.problems, logger);
  const { config } = loaded;
  return createHandler({
    config,
    secrets: createSecretCache(createSecretsManagerReader(createSecretsManagerClient(), config.secretId!)),
    tinybird: createTinybirdClient({ host: config.tinybirdHost, dataSource: config.dataSource }),
    logger,
    secretReadMaxMs: SECRET_READ_MAX_MS,
  });
}

const forward = createFromEnvironment(process.env);

export function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  return forward(event);
}
