/**
 * `npm run dev`: the forwarder's handler on localhost behind the API Gateway adapter, with the
 * Tinybird token and signing secret from environment variables instead of Secrets Manager, e.g.
 *
 *   TINYBIRD_HOST=http://localhost:7181 TINYBIRD_TOKEN=p.… CLERK_WEBHOOK_SECRET=whsec_… npm run dev
 *
 * Settings: PORT (default 8787), HOST (default 127.0.0.1), TINYBIRD_HOST (default Tinybird Local,
 * http://localhost:7181), TINYBIRD_DATASOURCE,
 * REDACT_PATHS, PSEUDONYMIZE_PERSONAL_DATA and PSEUDONYMIZATION_KEY, LOG_LEVEL.
 * Prints the URL and one JSON log line per request; never a secret.
 */
import { loadConfig } from "../config";
import { createHandler } from "../forwarder";
import { createJsonLogger } from "../logger";
import { staticSecretSource } from "../secrets";
import { createTinybirdClient } from "../tinybird";
import { createVerifier, MIN_SIGNING_KEY_BYTES } from "../verify";
import { type LocalApiGateway, serveApiGateway, WEBHOOK_ROUTE } from "./api-gateway-adapter";

export const DEFAULT_DEV_PORT = 8787;
/** Tinybird Local's address, the default target. */
export const TINYBIRD_LOCAL = "http://localhost:7181";

export interface DevServer extends LocalApiGateway {
  /** Where to send webhooks: the one route, as on API Gateway (`…/webhooks/clerk`). */
  webhookUrl: string;
  tinybirdHost: string;
  dataSource: string;
}

/** Starts the dev server from `env`; throws with every missing setting named. */
export async function startDevServer(
  env: NodeJS.ProcessEnv,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<DevServer> {
  const loaded = loadConfig(
    { ...env, TINYBIRD_HOST: env.TINYBIRD_HOST?.trim() || TINYBIRD_LOCAL },
    { needsSecretId: false },
  );
  const problems = loaded.ok ? [] : [...loaded.problems];
  const tinybirdToken = env.TINYBIRD_TOKEN?.trim();
  const signingSecret = env.CLERK_WEBHOOK_SECRET?.trim();
  if (!tinybirdToken) problems.push("TINYBIRD_TOKEN is not set: a Tinybird token with DATASOURCES:APPEND");
  if (!signingSecret)
    problems.push("CLERK_WEBHOOK_SECRET is not set: the endpoint's signing secret (whsec_…)");
  else if (!createVerifier(signingSecret).ok)
    // Refused now rather than answering 500 to every delivery, as the forwarder would.
    problems.push(
      `CLERK_WEBHOOK_SECRET is not a signing secret the forwarder accepts (whsec_ and a base64 key of at least ${MIN_SIGNING_KEY_BYTES} bytes): ` +
        "copy the endpoint's secret from the Clerk dashboard, or make one with " +
        `node -e "console.log('whsec_'+require('crypto').randomBytes(24).toString('base64'))"`,
    );
  const port = Number(env.PORT ?? DEFAULT_DEV_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    problems.push(`PORT "${env.PORT}" is not a port number`);
  if (!loaded.ok || problems.length > 0) throw new Error(problems.join("\n"));

  const { config } = loaded;
  const pseudonymizationKey = env.PSEUDONYMIZATION_KEY?.trim();
  const handler = createHandler({
    config,
    secrets: staticSecretSource({
      tinybirdToken: tinybirdToken!,
      signingSecret: signingSecret!,
      ...(pseudonymizationKey ? { pseudonymizationKey } : {}),
    }),
    tinybird: createTinybirdClient({ host: config.tinybirdHost, dataSource: config.dataSource }),
    logger: createJsonLogger({ service: "clerk-tinybird-forwarder-dev", write }),
  });
  const gateway = await serveApiGateway(handler, {
    port,
    host: env.HOST ?? "127.0.0.1",
    route: WEBHOOK_ROUTE,
  });
  const webhookUrl = `${gateway.url}${WEBHOOK_ROUTE.split(" ")[1]}`;
  return { ...gateway, webhookUrl, tinybirdHost: config.tinybirdHost, dataSource: config.dataSource };
}

if (require.main === module) {
  startDevServer(process.env).then(
    (dev) => {
      process.stderr.write(
        `forwarder on ${dev.webhookUrl} -> ${dev.tinybirdHost} data source ${dev.dataSource}\n`,
      );
    },
    (error: unknown) => {
      process.stderr.write(`npm run dev: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
