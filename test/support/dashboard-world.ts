/**
 * `npm run dashboard` as a person starts it (TINYBIRD_HOST and TINYBIRD_READ_TOKEN), in front of a
 * Tinybird stand-in that refuses any other token (403, as Tinybird does) and answers each endpoint
 * call through `answer`: what the proxy's tests and the browser's share.
 */
import { type DashboardProxy, dashboardSettings, startDashboardProxy } from "../../dashboard/proxy-server";
import { buildDashboard } from "../../dashboard-app/assets";
import { type StubHandler, type StubServer, startStub } from "./http-stub";

export interface DashboardWorld {
  /** Every call the proxy relayed is in `tinybird.requests`. */
  tinybird: StubServer;
  proxy: DashboardProxy;
  /** The proxy's line per relayed call. */
  logs: string[];
  close(): Promise<void>;
}

export async function startDashboardWorld(token: string, answer: StubHandler): Promise<DashboardWorld> {
  const tinybird = await startStub((req, res) =>
    req.headers.authorization === `Bearer ${token}`
      ? answer(req, res)
      : { status: 403, body: { error: "invalid token" } },
  );
  const settings = await dashboardSettings(undefined, {
    TINYBIRD_HOST: tinybird.url,
    TINYBIRD_READ_TOKEN: token,
  });
  const logs: string[] = [];
  const proxy = await startDashboardProxy({
    ...settings,
    dashboard: await buildDashboard(),
    log: (line) => logs.push(line),
  });
  return {
    tinybird,
    proxy,
    logs,
    close: async () => {
      await proxy.close();
      await tinybird.close();
    },
  };
}
