/**
 * The dashboard's server side, the same behind `npm start` and `npm run dashboard`: the page, its
 * script, and each panel's rows relayed to its endpoint with the token the server keeps. Only the
 * panels' endpoints are relayed, with only the parameters each panel declares (never Tinybird's `q`,
 * which runs SQL with the token, nor a `token`), each value bounded, so the port cannot read anything
 * else. The page also learns the Tinybird host (`/dashboard-config.json`) to show each card's endpoint
 * URL and curl line.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "../command-kit/local-http";
import { type DashboardAssets, serveDashboardAsset } from "./assets";
import { CONFIG_PATH, type DashboardConfig, PANEL_PATH, PANELS, panelId, paramProblem } from "./panels";

/** Where the panels' rows come from: Tinybird's Pipes API and a token that may read the endpoints. */
export interface DashboardUpstream {
  host: string;
  token: string;
  fetch?: typeof fetch;
}

export interface DashboardRoutesOptions {
  assets: DashboardAssets;
  upstream: DashboardUpstream;
  /** One line per relayed call: endpoint, status, milliseconds (never the token or the query). */
  log?: (line: string) => void;
}

const TIMEOUT_MS = 30_000;

/** Answers the page, its script and the panels' rows; false for any other path. */
export function dashboardRoutes(
  options: DashboardRoutesOptions,
): (req: IncomingMessage, res: ServerResponse, url: URL) => boolean {
  const host = options.upstream.host.replace(/\/+$/, "");
  const doFetch = options.upstream.fetch ?? fetch;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  return (req, res, url) => {
    if (req.method === "GET" && serveDashboardAsset(options.assets, url.pathname, res)) return true;
    if (req.method === "GET" && url.pathname === CONFIG_PATH) {
      // Where the endpoints are, for the page's URL and curl line per card: the host, never the token.
      sendJson(res, 200, { host } satisfies DashboardConfig);
      return true;
    }
    const match = PANEL_PATH.exec(url.pathname);
    if (!match) return false;
    const panel = PANELS.find((p) => panelId(p) === match[1]);
    if (req.method !== "GET" || !panel) {
      sendJson(res, 404, {
        error: `the dashboard relays only GET /panels/{${PANELS.map(panelId).join(",")}}.json`,
      });
      return true;
    }
    const params = new URLSearchParams();
    for (const name of panel.params) {
      const value = url.searchParams.get(name);
      if (value === null) continue;
      // A value longer than any the page sends (or a page of users too big) is refused, not cut.
      const problem = paramProblem(name, value);
      if (problem !== undefined) {
        sendJson(res, 400, { error: problem });
        return true;
      }
      params.set(name, value);
    }
    for (const [name, value] of Object.entries(panel.fixed ?? {})) params.set(name, value);
    const started = Date.now();
    doFetch(`${host}/v0/pipes/${panel.endpoint}.json?${params}`, {
      headers: { authorization: `Bearer ${options.upstream.token}` },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
      .then(async (answer) => {
        const text = await answer.text();
        log(`${panel.endpoint} ${answer.status} ${Date.now() - started} ms`);
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = { error: `the endpoint answered ${answer.status} without JSON` };
        }
        sendJson(res, answer.status, body);
      })
      .catch((error: unknown) => {
        log(`${panel.endpoint} unreachable ${Date.now() - started} ms`);
        sendJson(res, 502, {
          error: `Tinybird at ${host} did not answer (${(error as Error).name}): check TINYBIRD_HOST and your network`,
        });
      });
    return true;
  };
}
