/**
 * `npm run dashboard -- --stack dev` (or TINYBIRD_HOST + TINYBIRD_READ_TOKEN): the dashboard against
 * a deployed Tinybird workspace. It serves the page on localhost and relays each panel's call to its
 * endpoint (dashboard-app/relay.ts), adding the read token in the Authorization header on the way
 * out: the token never reaches the browser, a URL or a log. Only the panels' endpoints and declared
 * parameters are relayed, and only to pages of its own loopback origin, so neither the port nor a
 * web page can read anything else with the token.
 */
import { type Command, InputProblems, runMain } from "../command-kit/command-runner";
import { CommandError } from "../command-kit/command-shell";
import { listen, portInUse, readPort, refuseForeignRequest, sendJson } from "../command-kit/local-http";
import { buildDashboard, type DashboardAssets } from "../dashboard-app/assets";
import { dashboardRoutes } from "../dashboard-app/relay";
import { checkApiHost } from "../lambda/api-host";
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

/** The settings of `stack` (--stack), or from TINYBIRD_HOST + TINYBIRD_READ_TOKEN. */
export async function dashboardSettings(
  stack: string | undefined,
  env: NodeJS.ProcessEnv,
  fromStack: (stack: string) => Promise<DashboardSettings> = settingsOfStack,
): Promise<DashboardSettings> {
  if (stack) return fromStack(stack);
  const tinybirdHost = env.TINYBIRD_HOST?.trim();
  const readToken = env.TINYBIRD_READ_TOKEN?.trim();
  if (!tinybirdHost || !readToken) {
    throw new CommandError(
      "give a deployed stack (npm run dashboard -- --stack dev) or TINYBIRD_HOST and TINYBIRD_READ_TOKEN " +
        "(a token with READ on the analytics pipes, e.g. the stack's tinybirdReadToken output)",
    );
  }
  const host = checkApiHost(tinybirdHost);
  if (!host.ok) throw new CommandError(`TINYBIRD_HOST: ${host.problem}; e.g. https://api.tinybird.co`);
  return { tinybirdHost: tinybirdHost.replace(/\/+$/, ""), readToken };
}

const USAGE = `usage: npm run dashboard -- --stack <name>
  or: TINYBIRD_HOST=https://api.tinybird.co TINYBIRD_READ_TOKEN=p.… npm run dashboard
  The dashboard against a deployed stack on http://127.0.0.1:${DEFAULT_PORT}/ (PORT changes it); the read token stays here.`;

/** Serves until interrupted; one line per relayed call on stdout. */
export const dashboardCommand: Command<{ stack: { type: "string" } }> = {
  usage: USAGE,
  options: { stack: { type: "string" } },
  async run({ values, env, io, untilInterrupted }) {
    const problems: string[] = [];
    const port = readPort(env, "PORT", DEFAULT_PORT, problems);
    if (problems.length > 0) throw new InputProblems("The dashboard cannot start", problems);
    const settings = await dashboardSettings(values.stack, env);
    const proxy = await startDashboardProxy({
      ...settings,
      dashboard: await buildDashboard(),
      port,
      log: io.stdout,
    }).catch(portInUse(`PORT=${port + 10} npm run dashboard`));
    io.stderr(`dashboard on ${proxy.url}/ reading ${settings.tinybirdHost}`);
    await untilInterrupted();
    await proxy.close();
  },
};

if (require.main === module) void runMain(dashboardCommand);
