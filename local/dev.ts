/**
 * `npm run dev`: the forwarder alone on this machine, its handler behind the API Gateway adapter,
 * with the Tinybird token and signing secret from environment variables instead of Secrets Manager,
 * forwarding to a Tinybird of your choice (Tinybird Local by default). Prints the URL and one JSON
 * log line per request; never a secret. `npm run dev -- --help` lists the settings.
 */

import { type Command, InputProblems, runMain } from "../command-kit/command-runner";
import { portInUse, readPort } from "../command-kit/local-http";
import { FORWARDER_ENVIRONMENT, loadConfig } from "../lambda/config";
import { createVerifier, MIN_SIGNING_KEY_BYTES } from "../lambda/verify";
import { type ForwarderServer, serveForwarder } from "./forwarder-server";

export const DEFAULT_DEV_PORT = 8787;
/** Tinybird Local's address, the default target. */
export const TINYBIRD_LOCAL = "http://localhost:7181";

export interface DevServer extends ForwarderServer {
  tinybirdHost: string;
  dataSource: string;
}

/** Starts the dev server from `env`; throws InputProblems naming every missing or wrong setting. */
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
  const port = readPort(env, "PORT", DEFAULT_DEV_PORT, problems);
  if (!loaded.ok || problems.length > 0) throw new InputProblems("The dev server cannot start", problems);

  const { config } = loaded;
  const pseudonymizationKey = env.PSEUDONYMIZATION_KEY?.trim();
  const forwarder = await serveForwarder({
    config,
    secret: {
      tinybirdToken: tinybirdToken!,
      signingSecret: signingSecret!,
      ...(pseudonymizationKey ? { pseudonymizationKey } : {}),
    },
    service: "clerk-tinybird-forwarder-dev",
    log: write,
    port,
    host: env.HOST ?? "127.0.0.1",
  }).catch(portInUse(`PORT=${port + 10} npm run dev`));
  return { ...forwarder, tinybirdHost: config.tinybirdHost, dataSource: config.dataSource };
}

const USAGE = `usage: npm run dev
  The forwarder alone on this machine, e.g.
    TINYBIRD_HOST=http://localhost:7181 TINYBIRD_TOKEN=p.… CLERK_WEBHOOK_SECRET=whsec_… npm run dev
  TINYBIRD_TOKEN       a Tinybird token with DATASOURCES:APPEND
  CLERK_WEBHOOK_SECRET the endpoint's signing secret (whsec_…)
  TINYBIRD_HOST        default ${TINYBIRD_LOCAL} (Tinybird Local)
  PORT, HOST           default ${DEFAULT_DEV_PORT}, 127.0.0.1
  PSEUDONYMIZATION_KEY with PSEUDONYMIZE_PERSONAL_DATA=true, LOG_LEVEL, and the forwarder's other settings:
  ${Object.values(FORWARDER_ENVIRONMENT)
    .map((v) => v.name)
    .filter((name) => name !== "SECRET_ID" && name !== "TINYBIRD_HOST")
    .join(", ")} (docs/forwarder.md)`;

/** Serves until interrupted; log lines on stdout, where it listens on stderr. */
export const devCommand: Command = {
  usage: USAGE,
  async run({ env, io, untilInterrupted }) {
    const dev = await startDevServer(env, io.stdout);
    io.stderr(`forwarder on ${dev.webhookUrl} -> ${dev.tinybirdHost} data source ${dev.dataSource}`);
    await untilInterrupted();
    await dev.close();
  },
};

if (require.main === module) void runMain(devCommand);
