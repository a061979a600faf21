/**
 * The forwarder as this machine serves it (npm start's webhook port, npm run dev): the deployed
 * handler with its secrets given in hand instead of read from Secrets Manager, behind the API Gateway
 * adapter on the stack's one route, one JSON log line per delivery.
 */
import type { ForwarderConfig } from "../lambda/config";
import { createHandler } from "../lambda/forwarder";
import { createJsonLogger } from "../lambda/logger";
import { WEBHOOK_PATH } from "../lambda/request";
import { type ForwarderSecret, staticSecretSource } from "../lambda/secrets";
import { createTinybirdClient } from "../lambda/tinybird";
import { type LocalApiGateway, serveApiGateway, WEBHOOK_ROUTE } from "./api-gateway-adapter";

export interface ForwarderServer extends LocalApiGateway {
  /** Where to send webhooks: the one route, as on API Gateway (`…/webhooks/clerk`). */
  webhookUrl: string;
}

export interface ForwarderServerOptions {
  config: ForwarderConfig;
  secret: ForwarderSecret;
  /** The log lines' `service`. */
  service: string;
  log: (line: string) => void;
  /** 0 picks a free port. */
  port: number;
  host: string;
}

/** Serves the forwarder; a listen failure (EADDRINUSE) is thrown as node gives it. */
export async function serveForwarder(options: ForwarderServerOptions): Promise<ForwarderServer> {
  const { config } = options;
  const handler = createHandler({
    config,
    secrets: staticSecretSource(options.secret),
    tinybird: createTinybirdClient({ host: config.tinybirdHost, dataSource: config.dataSource }),
    logger: createJsonLogger({ service: options.service, write: options.log }),
  });
  const gateway = await serveApiGateway(handler, {
    port: options.port,
    host: options.host,
    route: WEBHOOK_ROUTE,
  });
  return { ...gateway, webhookUrl: `${gateway.url}${WEBHOOK_PATH}` };
}
