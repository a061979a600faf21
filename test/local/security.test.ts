/**
 * npm start as an attacker would try it (issue 20's reproductions): any web page the developer opens
 * can send simple requests to 127.0.0.1, and DNS rebinding lets it read the answers under its own
 * name. Only signed deliveries write; only this machine's own origin reads.
 */
import { request } from "node:http";
import { Webhook } from "svix";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../local/sandbox";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => sandbox?.close());

/** A request with exactly these headers (fetch would not let a test set Host). */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

const hostOf = (url: string) => new URL(url).host;

/** A user.created event as Clerk sends it, with the id the attacker chose. */
function userCreated(id: string): string {
  return JSON.stringify({
    type: "user.created",
    object: "event",
    timestamp: Date.UTC(2025, 2, 1),
    data: { object: "user", id, created_at: Date.UTC(2025, 2, 1) },
  });
}

async function stored(eventId: string): Promise<number> {
  const [row] = await sandbox.store.query<{ n: number }>(
    `SELECT count() AS n FROM clerk_events WHERE event_id = '${eventId}'`,
  );
  return Number(row!.n);
}

describe("writes", () => {
  it("refuses an unsigned write to the store from a web page, and stores nothing", async () => {
    const forged = JSON.stringify({
      ...JSON.parse(userCreated("user_forged")),
      event_id: "forged_1",
      received_at: 1,
    });
    for (const name of ["clerk_events", "clerk_events_user_months"]) {
      const answer = await raw(`${sandbox.url}/v0/events?name=${name}`, {
        method: "POST",
        headers: { host: hostOf(sandbox.url), origin: "http://evil.example", "content-type": "text/plain" },
        body: forged,
      });
      expect(answer.status, name).toBe(403);
    }
    // The same without a browser's Origin: still no token, still refused.
    const noToken = await raw(`${sandbox.url}/v0/events?name=clerk_events`, {
      method: "POST",
      headers: { host: hostOf(sandbox.url), "content-type": "application/x-ndjson" },
      body: forged,
    });
    expect(noToken.status).toBe(403);
    expect(JSON.parse(noToken.body).error).toMatch(/^invalid token: .*store-token/);
    expect(await stored("forged_1")).toBe(0);
    expect(await sandbox.store.count("clerk_events_user_months")).toBe(0);
  });

  it("refuses a write carrying the token from a page of another origin", async () => {
    const answer = await raw(`${sandbox.url}/v0/events?name=clerk_events`, {
      method: "POST",
      headers: {
        host: hostOf(sandbox.url),
        origin: "http://evil.example",
        authorization: `Bearer ${sandbox.storeToken}`,
      },
      body: JSON.stringify({ ...JSON.parse(userCreated("user_x")), event_id: "forged_2", received_at: 1 }),
    });
    expect(answer.status).toBe(403);
    expect(await stored("forged_2")).toBe(0);
  });

  it("takes webhooks on their own port only, signed, under any Host (a tunnel's), and never from a page", async () => {
    const webhook = new URL(sandbox.webhookUrl);
    expect(webhook.port).not.toBe(new URL(sandbox.url).port);
    const body = userCreated("user_signed");
    const signed = (id: string) => {
      const at = new Date();
      return {
        "content-type": "application/json",
        "svix-id": id,
        "svix-timestamp": String(Math.floor(at.getTime() / 1000)),
        "svix-signature": new Webhook(sandbox.signingSecret).sign(id, at, body),
      };
    };
    const viaTunnel = await raw(sandbox.webhookUrl, {
      method: "POST",
      headers: { ...signed("msg_tunnel"), host: "abc.trycloudflare.com" },
      body,
    });
    expect(viaTunnel.status).toBe(200);
    expect(await stored("msg_tunnel")).toBe(1);

    const unsigned = await raw(sandbox.webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "svix-id": "msg_unsigned", host: webhook.host },
      body,
    });
    expect(unsigned.status).toBe(400);
    const fromPage = await raw(sandbox.webhookUrl, {
      method: "POST",
      headers: { ...signed("msg_page"), host: webhook.host, origin: "http://evil.example" },
      body,
    });
    expect(fromPage.status).toBe(403);
    expect(await stored("msg_unsigned")).toBe(0);
    expect(await stored("msg_page")).toBe(0);

    // What a tunnel exposes serves nothing else.
    for (const path of [
      "/v0/events?name=clerk_events",
      "/v0/pipes/users.json",
      "/",
      "/panels/user_growth.json",
    ]) {
      const answer = await raw(`${webhook.origin}${path}`, { headers: { host: "abc.trycloudflare.com" } });
      expect(answer.status, path).toBe(404);
    }
    // And the store's port takes no webhook.
    expect(
      (await raw(`${sandbox.url}/webhooks/clerk`, { method: "POST", headers: { host: hostOf(sandbox.url) } }))
        .status,
    ).toBe(404);
  });
});

describe("reads", () => {
  it("answers nothing under another Host name (DNS rebinding), token or not", async () => {
    const { port } = new URL(sandbox.url);
    for (const path of ["/v0/pipes/users.json", "/panels/user_growth.json", "/"]) {
      const answer = await raw(`${sandbox.url}${path}`, {
        headers: { host: `rebind.evil.example:${port}`, authorization: `Bearer ${sandbox.storeToken}` },
      });
      expect(answer.status, path).toBe(403);
      expect(answer.body, path).not.toContain("data");
    }
  });

  it("reads the store's endpoints with the token only, and serves the dashboard's panels without it", async () => {
    const host = hostOf(sandbox.url);
    expect((await raw(`${sandbox.url}/v0/pipes/users.json`, { headers: { host } })).status).toBe(403);
    const withToken = await raw(`${sandbox.url}/v0/pipes/users.json`, {
      headers: { host, authorization: `Bearer ${sandbox.storeToken}` },
    });
    expect(withToken.status).toBe(200);
    const panel = await raw(`${sandbox.url}/panels/user_growth.json?start_date=2025-01-01&q=SELECT%201`, {
      headers: { host: `localhost:${new URL(sandbox.url).port}` },
    });
    expect(panel.status).toBe(200);
    expect(JSON.parse(panel.body).data).toEqual(expect.any(Array));
    // An endpoint that is no panel is not relayed.
    expect((await raw(`${sandbox.url}/panels/delivered_events.json`, { headers: { host } })).status).toBe(
      404,
    );
    for (const answer of [withToken, panel]) {
      expect(answer.headers["x-content-type-options"]).toBe("nosniff");
      expect(answer.headers["content-security-policy"]).toMatch(/default-src 'none'/);
      expect(answer.headers["content-type"]).toBe("application/json");
    }
    const page = await raw(`${sandbox.url}/`, { headers: { host } });
    expect(page.headers["content-security-policy"]).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
  });
});
