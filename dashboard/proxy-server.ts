/**
 * `npm run dashboard -- --stack dev` (or TINYBIRD_HOST + TINYBIRD_READ_TOKEN): the dashboard against
 * a deployed Tinybird workspace. It serves the page on localhost and relays each panel's call to its
 * endpoint (dashboard-app/relay.ts), adding the read token in the Authorization header on the way
 * out: the token never reaches the browser, a URL or a log. Only the panels' endpoints and declared
 * parameters are relayed, and only to pages of its own loopback origin, so neither the port nor a
 * web page can read anything else with the token.
 */
import { parseArgs } from "node:util";
import { buildDashboard, type DashboardAssets } from "../dashboard-app/assets";
import { dashboardRoutes } from "../dashboard-app/relay";
import { checkApiHost } from "../lambda/api-host";
import { listen, refuseForeignRequest, sendJson } from "../lambda/dev/local-http";
import { readStackSettings } from "../stack-access/stack-settings";

/** Where the proxy sends endpoint calls, and the read token it adds on the server side. */
export interface DashboardSettings {
  tinybirdHost: string;
  readToken: string;
}

async function settingsOfStack(stack: string): Promise<DashboardSettings> {
  const { tinybirdHost, tinybirdReadToken } = await readStackSettings(stack);
  return { tinybirdHost, readToken: tinybirdReadToken };
}

const DEFAULT_PORT = 8788;

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
  const routes = dashboardRoutes({
    assets: options.dashboard,
    upstream: {
      host: options.tinybirdHost,
      token: options.readToken,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    },
    ...(options.log ? { log: options.log } : {}),
  });
  let port = 0;
  const server = await listen(
    (req, res) => {
      if (refuseForeignRequest(req, res, port)) return;
      const url = new URL(req.url ?? "/", "http://localhost");
      if (routes(req, res, url)) return;
      sendJson(res, 404, {
        error: `no route for ${req.method} ${url.pathname}: this server relays the dashboard only`,
      });
    },
    { port: options.port ?? 0, host: options.host ?? "127.0.0.1" },
  );
  port = server.port;
  return { url: server.url, close: server.close };
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
