/**
 * `npm run dashboard -- --stack dev` (or TINYBIRD_HOST + TINYBIRD_READ_TOKEN): the dashboard against
 * a deployed Tinybird workspace. It serves the page on localhost and relays the six endpoint calls,
 * adding the read token in the Authorization header on the way out: the token never reaches the
 * browser, a URL or a log. Only the dashboard's own endpoints are relayed, so the port cannot be used
 * to read anything else with the token.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { checkApiHost } from "../lambda/api-host";
import { readStackSettings } from "../stack-access/stack-settings";
import { buildDashboard, type DashboardAssets, serveDashboardAsset } from "./assets";
import { PANELS } from "./panels";

/** Where the proxy sends endpoint calls, and the read token it adds on the server side. */
export interface DashboardSettings {
  tinybirdHost: string;
  readToken: string;
}

async function settingsOfStack(stack: string): Promise<DashboardSettings> {
  const { tinybirdHost, tinybirdReadToken } = await readStackSettings(stack);
  return { tinybirdHost, readToken: tinybirdReadToken };
}

const ENDPOINTS = new Set(PANELS.map((p) => p.endpoint));
const DEFAULT_PORT = 8788;
const TIMEOUT_MS = 30_000;

export interface DashboardProxyOptions extends DashboardSettings {
  dashboard: DashboardAssets;
  port?: number;
  host?: string;
  /** One line per relayed call: endpoint, status, milliseconds (never the query's token or headers). */
  log?: (line: string) => void;
  fetch?: typeof fetch;
}

export interface DashboardProxy {
  url: string;
  close(): Promise<void>;
}

export async function startDashboardProxy(options: DashboardProxyOptions): Promise<DashboardProxy> {
  const host = options.tinybirdHost.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "GET" && serveDashboardAsset(options.dashboard, url.pathname, res)) return;
    const match = /^\/v0\/pipes\/([A-Za-z_][A-Za-z0-9_]*)\.json$/.exec(url.pathname);
    if (req.method !== "GET" || !match || !ENDPOINTS.has(match[1]!)) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: `the dashboard relays only GET /v0/pipes/{${[...ENDPOINTS].join(",")}}.json`,
        }),
      );
      return;
    }
    // A token in the browser's query would override nothing, but must not travel either.
    url.searchParams.delete("token");
    const started = Date.now();
    doFetch(`${host}/v0/pipes/${match[1]}.json?${url.searchParams}`, {
      headers: { authorization: `Bearer ${options.readToken}` },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
      .then(async (answer) => {
        const body = await answer.text();
        log(`${match[1]} ${answer.status} ${Date.now() - started} ms`);
        res.writeHead(answer.status, {
          "content-type": answer.headers.get("content-type") ?? "application/json",
        });
        res.end(body);
      })
      .catch((error: unknown) => {
        log(`${match[1]} unreachable ${Date.now() - started} ms`);
        res.writeHead(502, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            error: `Tinybird at ${host} did not answer (${(error as Error).name}): check TINYBIRD_HOST and your network`,
          }),
        );
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The settings from --stack, or from TINYBIRD_HOST + TINYBIRD_READ_TOKEN. */
export async function dashboardSettings(
  argv: string[],
  env: NodeJS.ProcessEnv,
  fromStack: (stack: string) => Promise<DashboardSettings> = settingsOfStack,
): Promise<DashboardSettings> {
  const { values } = parseArgs({ args: argv, options: { stack: { type: "string" } } });
  if (values.stack) return fromStack(values.stack);
  const tinybirdHost = env.TINYBIRD_HOST?.trim();
  const readToken = env.TINYBIRD_READ_TOKEN?.trim();
  if (!tinybirdHost || !readToken) {
    throw new Error(
      "give a deployed stack (npm run dashboard -- --stack dev) or TINYBIRD_HOST and TINYBIRD_READ_TOKEN " +
        "(a token with READ on the analytics pipes, e.g. the stack's tinybirdReadToken output)",
    );
  }
  const host = checkApiHost(tinybirdHost);
  if (!host.ok) throw new Error(`TINYBIRD_HOST: ${host.problem}; e.g. https://api.tinybird.co`);
  return { tinybirdHost: tinybirdHost.replace(/\/+$/, ""), readToken };
}

if (require.main === module) {
  (async () => {
    const settings = await dashboardSettings(process.argv.slice(2), process.env);
    const proxy = await startDashboardProxy({
      ...settings,
      dashboard: await buildDashboard(),
      port: Number(process.env.PORT ?? DEFAULT_PORT),
    });
    process.stdout.write(`dashboard on ${proxy.url}/ reading ${settings.tinybirdHost}\n`);
  })().catch((error: unknown) => {
    process.stderr.write(`npm run dashboard: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
