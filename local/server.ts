/**
 * The one-port local server behind `npm start`: the forwarder's own handler at POST /webhooks/clerk
 * (through the API Gateway adapter, forwarding to this same server), Tinybird's Events and Pipes API
 * on the local store, and the dashboard at `/`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type DashboardAssets, serveDashboardAsset } from "../dashboard/assets";
import { loadConfig } from "../lambda/config";
import { apiGatewayListener } from "../lambda/dev/api-gateway-adapter";
import { createHandler } from "../lambda/forwarder";
import { createJsonLogger } from "../lambda/logger";
import { staticSecretSource } from "../lambda/secrets";
import { createTinybirdClient } from "../lambda/tinybird";
import type { LocalStore, StoreAnswer } from "./store";

export const WEBHOOK_PATH = "/webhooks/clerk";
// The local store takes any token; the forwarder needs one to send.
const LOCAL_TOKEN = "local";

export interface LocalServerOptions {
  store: LocalStore;
  signingSecret: string;
  dashboard: DashboardAssets;
  port?: number;
  host?: string;
  dataSource?: string;
  /** One JSON line per forwarded delivery. */
  log?: (line: string) => void;
}

export interface LocalServer {
  url: string;
  webhookUrl: string;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, answer: StoreAnswer): void {
  res.writeHead(answer.status, { "content-type": "application/json" });
  res.end(JSON.stringify(answer.body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const { store } = options;
  let forward: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    if (url.pathname === WEBHOOK_PATH && forward) return forward(req, res);
    if (url.pathname === "/v0/events" && method === "POST") {
      const name = url.searchParams.get("name") ?? "";
      readBody(req).then(
        (body) => sendJson(res, store.append(name, body)),
        () => sendJson(res, { status: 400, body: { error: "could not read the request body" } }),
      );
      return;
    }
    const pipe = /^\/v0\/pipes\/([A-Za-z_][A-Za-z0-9_]*)\.json$/.exec(url.pathname);
    if (pipe && method === "GET") {
      return sendJson(res, store.callEndpoint(pipe[1]!, Object.fromEntries(url.searchParams)));
    }
    if (method === "GET" && serveDashboardAsset(options.dashboard, url.pathname, res)) return;
    sendJson(res, { status: 404, body: { error: `no route for ${method} ${url.pathname}` } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  const address = server.address() as AddressInfo;
  const base = `http://${address.address}:${address.port}`;

  const loaded = loadConfig(
    { TINYBIRD_HOST: base, TINYBIRD_DATASOURCE: options.dataSource ?? "clerk_events" },
    { needsSecretId: false },
  );
  if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
  forward = apiGatewayListener(
    createHandler({
      config: loaded.config,
      secrets: staticSecretSource({ tinybirdToken: LOCAL_TOKEN, signingSecret: options.signingSecret }),
      tinybird: createTinybirdClient({ host: base, dataSource: loaded.config.dataSource }),
      logger: createJsonLogger({
        service: "clerk-tinybird-local",
        write: options.log ?? ((line) => process.stdout.write(`${line}\n`)),
      }),
    }),
  );
  return {
    url: base,
    webhookUrl: `${base}${WEBHOOK_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
