/**
 * `npm start`'s two listeners, both on loopback:
 * - the webhook port: the forwarder's own handler at POST /webhooks/clerk behind the API Gateway
 *   adapter, and nothing else. It is the one a tunnel exposes: any Host is taken (a tunnel sends its
 *   public name), every delivery is verified before anything is written, nothing is read from it,
 *   and a request from a web page (Origin) is refused.
 * - the store port: Tinybird's Events and Pipes API on the local store, for callers holding the
 *   store token (the forwarder, `npm run seed`, curl), and the dashboard, whose panels are relayed
 *   to the endpoints with that token. Requests a page on another site could make (another Host:
 *   DNS rebinding; another Origin) are refused.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { listen, refuseForeignRequest, sendJson } from "../command-kit/local-http";
import type { DashboardAssets } from "../dashboard-app/assets";
import { dashboardRoutes } from "../dashboard-app/relay";
import { DEFAULT_DATASOURCE, loadConfig } from "../lambda/config";
import { serveForwarder } from "./forwarder-server";
import type { LocalStore, StoreAnswer } from "./store";

/** The Events API's own request limit. */
const MAX_EVENTS_BODY = 10 * 1024 * 1024;

export interface LocalServerOptions {
  store: LocalStore;
  /** The token the store's API requires (local/data-folder.ts). */
  storeToken: string;
  signingSecret: string;
  dashboard: DashboardAssets;
  /** The store and the dashboard (0: a free port). */
  port?: number;
  /** The webhook (0: a free port). */
  webhookPort?: number;
  host?: string;
  dataSource?: string;
  /** One JSON line per forwarded delivery. */
  log?: (line: string) => void;
  /** One line per dashboard call. */
  dashboardLog?: (line: string) => void;
}

export interface LocalServer {
  /** The dashboard and the store's API. */
  url: string;
  webhookUrl: string;
  close(): Promise<void>;
}

/** Reads a request body up to `limit` bytes; undefined past it. */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on("end", () => resolve(size > limit ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Whether the request carries `token`: `Authorization: Bearer …` or Tinybird's `?token=`. */
function hasToken(req: IncomingMessage, url: URL, token: string): boolean {
  const given =
    /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1]?.trim() ?? url.searchParams.get("token");
  if (!given) return false;
  const [a, b] = [Buffer.from(given), Buffer.from(token)];
  return a.length === b.length && timingSafeEqual(a, b);
}

const answer = (res: ServerResponse, reply: StoreAnswer) => sendJson(res, reply.status, reply.body);

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const { store, storeToken } = options;
  const host = options.host ?? "127.0.0.1";
  let port = 0;
  let dashboard: ReturnType<typeof dashboardRoutes> | undefined;

  const api = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (!hasToken(req, url, storeToken)) {
      req.resume();
      return sendJson(res, 403, {
        error:
          "invalid token: the local store takes the token npm start keeps in its data folder (store-token), as Authorization: Bearer <token>",
      });
    }
    const method = req.method ?? "GET";
    if (url.pathname === "/v0/events" && method === "POST") {
      const name = url.searchParams.get("name") ?? "";
      readBody(req, MAX_EVENTS_BODY).then(
        async (body) =>
          body === undefined
            ? sendJson(res, 413, {
                error: "the request is over the Events API's 10 MB limit: send smaller batches",
              })
            : answer(res, await store.append(name, body)),
        () => sendJson(res, 400, { error: "could not read the request body" }),
      );
      return;
    }
    const pipe = /^\/v0\/pipes\/([A-Za-z_][A-Za-z0-9_]*)\.json$/.exec(url.pathname);
    if (pipe && method === "GET") {
      store.callEndpoint(pipe[1]!, Object.fromEntries(url.searchParams)).then((reply) => answer(res, reply));
      return;
    }
    req.resume();
    sendJson(res, 404, { error: `no route for ${method} ${url.pathname}` });
  };

  const storeServer = await listen(
    (req, res) => {
      if (refuseForeignRequest(req, res, port)) return;
      const url = new URL(req.url ?? "/", "http://localhost");
      if (url.pathname.startsWith("/v0/")) return api(req, res, url);
      if (dashboard?.(req, res, url)) return;
      req.resume();
      sendJson(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
    },
    { port: options.port ?? 0, host },
  );
  port = storeServer.port;
  dashboard = dashboardRoutes({
    assets: options.dashboard,
    upstream: { host: storeServer.url, token: storeToken },
    log: options.dashboardLog ?? (() => {}),
  });

  const loaded = loadConfig(
    { TINYBIRD_HOST: storeServer.url, TINYBIRD_DATASOURCE: options.dataSource ?? DEFAULT_DATASOURCE },
    { needsSecretId: false },
  );
  if (!loaded.ok) {
    await storeServer.close();
    throw new Error(loaded.problems.join("\n"));
  }
  const webhook = await serveForwarder({
    config: loaded.config,
    secret: { tinybirdToken: storeToken, signingSecret: options.signingSecret },
    service: "clerk-tinybird-local",
    log: options.log ?? ((line) => process.stdout.write(`${line}\n`)),
    port: options.webhookPort ?? 0,
    host,
  }).catch(async (error: unknown) => {
    await storeServer.close();
    throw error;
  });
  return {
    url: storeServer.url,
    webhookUrl: webhook.webhookUrl,
    close: async () => {
      await webhook.close();
      await storeServer.close();
    },
  };
}
