import { type IncomingHttpHeaders, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DashboardProxy, dashboardSettings } from "../../dashboard/proxy-server";
import { type DashboardWorld, startDashboardWorld } from "../support/dashboard-world";
import type { RecordedRequest } from "../support/http-stub";

const TOKEN = "p.read-token-that-must-stay-on-the-server";
let world: DashboardWorld;
let proxy: DashboardProxy;
let logs: string[];
/** The calls Tinybird received. */
let seen: RecordedRequest[];

beforeAll(async () => {
  // Tinybird's Pipes API as far as the proxy uses it: the token in the header, JSON back.
  world = await startDashboardWorld(TOKEN, () => ({
    status: 200,
    body: { meta: [], data: [{ period: "2025-01-01", signups: 3 }], rows: 1, statistics: {} },
  }));
  ({ proxy, logs } = world);
  seen = world.tinybird.requests;
});

afterAll(() => world?.close());

describe("npm run dashboard against a deployed workspace", () => {
  it("relays an endpoint call with the token in the header only", async () => {
    const response = await fetch(`${proxy.url}/panels/user_growth.json?start_date=2025-01-01&token=sneaky`);
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

  it("serves the page, its script and its icon without the token", async () => {
    for (const path of ["/", "/dashboard.js", "/favicon.svg", "/favicon.ico"]) {
      const response = await fetch(`${proxy.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-security-policy"), path).toMatch(/frame-ancestors 'none'/);
      expect(await response.text()).not.toContain(TOKEN);
    }
  });

  it("tells the page the Tinybird host it relays to (for each card's curl line), never the token", async () => {
    const response = await fetch(`${proxy.url}/dashboard-config.json`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ host: world.tinybird.url.replace(/\/+$/, "") });
    expect(text).not.toContain(TOKEN);
  });

  it("relays nothing but the dashboard's panels", async () => {
    const before = seen.length;
    for (const path of [
      "/panels/other_pipe.json",
      "/panels/delivered_events.json",
      "/v0/pipes/user_growth.json",
      "/v0/sql?q=SELECT+1",
      "/v0/datasources",
    ]) {
      expect((await fetch(`${proxy.url}${path}`)).status, path).toBe(404);
    }
    expect(seen.length).toBe(before);
  });

  it("relays only the parameters a panel declares: never Tinybird's q", async () => {
    const response = await fetch(
      `${proxy.url}/panels/active_users.json?q=SELECT+*+FROM+clerk_events&start_date=2025-01-01&end_date=2025-01-31&granularity=week&inactive_days=1`,
    );
    expect(response.status).toBe(200);
    // active_users takes no granularity: its panel does not declare it.
    expect(seen.at(-1)!.url).toBe("/v0/pipes/active_users.json?start_date=2025-01-01&end_date=2025-01-31");
  });

  it("answers only its own loopback origin, with nosniff and a CSP on every answer", async () => {
    const { port } = new URL(proxy.url);
    const get = (path: string, headers: Record<string, string>) =>
      new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
        request(`${proxy.url}${path}`, { headers }, (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        })
          .on("error", reject)
          .end();
      });
    const before = seen.length;
    const answers = [
      await get("/panels/user_growth.json", { host: `rebind.evil.example:${port}` }),
      await get("/panels/user_growth.json", { host: `127.0.0.1:${port}`, origin: "http://evil.example" }),
      await get("/", { host: `attacker.example:${port}` }),
    ];
    expect(answers.map((a) => a.status)).toEqual([403, 403, 403]);
    expect(seen.length).toBe(before);
    answers.push(
      await get("/panels/user_growth.json", { host: `localhost:${port}` }),
      await get("/", { host: `127.0.0.1:${port}` }),
      await get("/nothing", { host: `127.0.0.1:${port}` }),
    );
    expect(answers.slice(3).map((a) => a.status)).toEqual([200, 200, 404]);
    for (const answer of answers) {
      expect(answer.headers["x-content-type-options"]).toBe("nosniff");
      expect(answer.headers["content-security-policy"]).toMatch(/frame-ancestors 'none'/);
    }
  });

  it("says what to set when neither a stack nor the variables are given", async () => {
    await expect(dashboardSettings(undefined, {})).rejects.toThrow(
      /--stack dev.*TINYBIRD_HOST and TINYBIRD_READ_TOKEN/,
    );
    await expect(
      dashboardSettings(undefined, { TINYBIRD_HOST: "api.tinybird.co", TINYBIRD_READ_TOKEN: "t" }),
    ).rejects.toThrow(/TINYBIRD_HOST: "api.tinybird.co" is not a URL/);
    // The read token would travel in clear to a remote host over http.
    await expect(
      dashboardSettings(undefined, { TINYBIRD_HOST: "http://api.tinybird.co", TINYBIRD_READ_TOKEN: "t" }),
    ).rejects.toThrow(/must use https/);
    const fromStack = await dashboardSettings("dev", {}, async (stack) => ({
      tinybirdHost: `https://${stack}.example`,
      readToken: "x",
    }));
    expect(fromStack.tinybirdHost).toBe("https://dev.example");
  });
});
