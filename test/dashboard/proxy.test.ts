import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard } from "../../dashboard/assets";
import { type DashboardProxy, dashboardSettings, startDashboardProxy } from "../../dashboard/proxy-server";

const TOKEN = "p.read-token-that-must-stay-on-the-server";
const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
let tinybird: Server;
let proxy: DashboardProxy;
const logs: string[] = [];

beforeAll(async () => {
  // Tinybird's Pipes API as far as the proxy uses it: the token in the header, JSON back.
  tinybird = createServer((req, res) => {
    seen.push({ url: req.url ?? "", headers: req.headers });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(403, { "content-type": "application/json" });
      res.end('{"error":"invalid token"}');
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({ meta: [], data: [{ period: "2025-01-01", signups: 3 }], rows: 1, statistics: {} }),
    );
  });
  await new Promise<void>((resolve) => tinybird.listen(0, "127.0.0.1", resolve));
  const { port } = tinybird.address() as AddressInfo;
  const settings = await dashboardSettings([], {
    TINYBIRD_HOST: `http://127.0.0.1:${port}`,
    TINYBIRD_READ_TOKEN: TOKEN,
  });
  proxy = await startDashboardProxy({
    ...settings,
    dashboard: await buildDashboard(),
    log: (l) => logs.push(l),
  });
});

afterAll(async () => {
  await proxy?.close();
  tinybird?.closeAllConnections();
  tinybird?.close();
});

describe("npm run dashboard against a deployed workspace", () => {
  it("relays an endpoint call with the token in the header only", async () => {
    const response = await fetch(`${proxy.url}/v0/pipes/user_growth.json?start_date=2025-01-01&token=sneaky`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text).data).toEqual([{ period: "2025-01-01", signups: 3 }]);
    expect(seen.at(-1)).toMatchObject({
      url: "/v0/pipes/user_growth.json?start_date=2025-01-01",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(text).not.toContain(TOKEN);
    expect(logs.join("\n")).not.toContain(TOKEN);
    expect(logs.at(-1)).toMatch(/^user_growth 200 \d+ ms$/);
  });

  it("serves the page and its script without the token", async () => {
    for (const path of ["/", "/dashboard.js"]) {
      const response = await fetch(`${proxy.url}${path}`);
      expect(response.status).toBe(200);
      expect(await response.text()).not.toContain(TOKEN);
    }
  });

  it("relays nothing but the dashboard's six endpoints", async () => {
    const before = seen.length;
    for (const path of ["/v0/pipes/other_pipe.json", "/v0/sql?q=SELECT+1", "/v0/datasources"]) {
      expect((await fetch(`${proxy.url}${path}`)).status).toBe(404);
    }
    expect(seen.length).toBe(before);
  });

  it("says what to set when neither a stack nor the variables are given", async () => {
    await expect(dashboardSettings([], {})).rejects.toThrow(
      /--stack dev.*TINYBIRD_HOST and TINYBIRD_READ_TOKEN/,
    );
    await expect(
      dashboardSettings([], { TINYBIRD_HOST: "api.tinybird.co", TINYBIRD_READ_TOKEN: "t" }),
    ).rejects.toThrow(/TINYBIRD_HOST: "api.tinybird.co" is not a URL/);
    // The read token would travel in clear to a remote host over http.
    await expect(
      dashboardSettings([], { TINYBIRD_HOST: "http://api.tinybird.co", TINYBIRD_READ_TOKEN: "t" }),
    ).rejects.toThrow(/must use https/);
    const fromStack = await dashboardSettings(["--stack", "dev"], {}, async (stack) => ({
      tinybirdHost: `https://${stack}.example`,
      readToken: "x",
    }));
    expect(fromStack.tinybirdHost).toBe("https://dev.example");
  });
});
