/**
 * `npm start`: the whole pipeline on this machine, nothing to sign up for. The forwarder, a
 * Tinybird-compatible store built from tinybird/ (persisted in LOCAL_DATA_DIR, default .local/) and
 * the dashboard, on one port (PORT, default 8787, bound to 127.0.0.1).
 */
import { resolve } from "node:path";
import { buildDashboard } from "../dashboard/assets";
import { loadLocalProject } from "./datafiles";
import { startLocalServer } from "./server";
import { localSigningSecret } from "./signing-secret";
import { LocalStore } from "./store";

export const DEFAULT_PORT = 8787;
const ROOT = resolve(__dirname, "..");

/** What npm start prints: where to send events and the commands that send them. */
export function startBanner(
  url: string,
  webhookUrl: string,
  secret: { secret: string; from: string },
  dataDir: string,
) {
  const env = `CLERK_WEBHOOK_SECRET='${secret.secret}'`;
  return [
    "",
    `  Dashboard        ${url}/`,
    `  Webhook URL      ${webhookUrl}`,
    `  Signing secret   ${secret.secret}   (local development secret, from ${secret.from})`,
    `  Data             ${dataDir}   (delete it to start over)`,
    "",
    "  Feed it, in another terminal:",
    `    sample events         ${env} npm run send -- --url ${webhookUrl}`,
    `    90 days of history    npm run seed -- --days 90 --url ${url}`,
    "    a Clerk dev instance  tunnel this port (e.g. `cloudflared tunnel --url " +
      url +
      "`), add an endpoint",
    "                          <tunnel URL>/webhooks/clerk in Clerk's dashboard (Webhooks), and restart with",
    "                          CLERK_WEBHOOK_SECRET=<that endpoint's signing secret> npm start",
    "",
  ].join("\n");
}

async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const port = Number(env.PORT ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT "${env.PORT}" is not a port number: use e.g. PORT=8788`);
  }
  const dataDir = resolve(env.LOCAL_DATA_DIR?.trim() || ".local");
  process.stderr.write(`building the local store in ${dataDir} from tinybird/ …\n`);
  const opened = LocalStore.open({ dataDir, project: loadLocalProject(resolve(ROOT, "tinybird")) });
  if (!opened.ok) throw new Error(opened.problem);
  const secret = localSigningSecret(env, dataDir);
  const server = await startLocalServer({
    store: opened.store,
    signingSecret: secret.secret,
    dashboard: await buildDashboard(),
    port,
  }).catch((error: NodeJS.ErrnoException) => {
    opened.store.close();
    throw error.code === "EADDRINUSE"
      ? new Error(
          `port ${port} is in use: stop what runs there, or start on another, e.g. PORT=8788 npm start`,
        )
      : error;
  });
  process.stdout.write(`${startBanner(server.url, server.webhookUrl, secret, dataDir)}\n`);
  const stop = () => {
    void server.close().then(() => {
      opened.store.close();
      process.exit(0);
    });
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (require.main === module) {
  main(process.env).catch((error: unknown) => {
    process.stderr.write(`npm start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
