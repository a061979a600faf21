import { afterEach, describe, expect, it } from "vitest";
import { likelyFix } from "../../infra/provisioning/tinybird/diagnosis";
import {
  MAX_ANSWER_BYTES,
  TinybirdApi,
  TinybirdNetworkError,
  tinybirdErrorText,
} from "../../infra/provisioning/tinybird/tinybird-api";
import { type StubServer, startStub } from "../support/http-stub";
import { recordingSleep } from "./support/project";

const TOKEN = "p.eyJ1IjogImFkbWluIn0.secret-part";
let stub: StubServer | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

describe("tinybirdErrorText", () => {
  it("reads error, errors with file names, and a deployment's ERROR feedback", () => {
    expect(tinybirdErrorText({ error: "nope" }, "")).toBe("nope");
    expect(
      tinybirdErrorText(
        {
          errors: [{ filename: "a.pipe", error: "bad SQL" }, "plain"],
          deployment: {
            feedback: [
              { level: "WARNING", resource: "x", message: "ignored" },
              { level: "ERROR", resource: null, message: "broken" },
            ],
          },
        },
        "",
      ),
    ).toBe("a.pipe: bad SQL; plain; broken");
    expect(tinybirdErrorText("<html>Bad gateway</html>", "<html>Bad gateway</html>")).toBe(
      "<html>Bad gateway</html>",
    );
    expect(tinybirdErrorText(undefined, "  ")).toBe("(empty answer)");
  });
});

describe("likelyFix", () => {
  const host = "https://api.tinybird.co";
  it("points a 404 at the host setting", () => {
    expect(likelyFix(404, "Not found", { host })).toMatch(
      /check tinybirdHost .*https:\/\/api\.eu-central-1\.aws/,
    );
  });
  it("sends a Classic workspace's refusal of a deployment to Tinybird's migration", () => {
    expect(likelyFix(403, "Deployments are not available in Classic workspaces", { host })).toMatch(
      /^this is a Tinybird Classic workspace, which Tinybird retired: have the workspace migrated to Tinybird Forward \(tb migrate-to-forward/,
    );
  });
  it("sends a 400 back to the datafiles Tinybird's text points at", () => {
    expect(likelyFix(400, "Invalid schema", { host })).toMatch(/correct the file in tinybird\//);
  });
});

describe("TinybirdApi transport", () => {
  it("turns a refused connection into a retried network error naming the host", async () => {
    const clock = recordingSleep();
    const api = new TinybirdApi({
      host: "http://127.0.0.1:9",
      token: TOKEN,
      attempts: 2,
      sleep: clock.sleep,
    });
    const failure = api.request("GET", "/v0/datasources/x");
    await expect(failure).rejects.toBeInstanceOf(TinybirdNetworkError);
    await expect(failure).rejects.toThrow(
      /could not reach Tinybird at http:\/\/127\.0\.0\.1:9 for GET \/v0\/datasources\/x/,
    );
    // fetch's own error stays underneath, for a debugger.
    await expect(failure).rejects.toHaveProperty(
      "cause",
      expect.objectContaining({ message: "fetch failed" }),
    );
    expect(clock.waits).toHaveLength(1);
  });

  it("gives up on an answer that never comes", async () => {
    stub = await startStub(() => undefined);
    const api = new TinybirdApi({ host: stub.url, token: TOKEN, attempts: 1, timeoutMs: 50 });
    await expect(api.request("GET", "/v1/deployments")).rejects.toThrow(
      /could not reach Tinybird .*GET \/v1\/deployments/,
    );
  });

  it("sends the token only as a bearer header and JSON with its content type", async () => {
    stub = await startStub(() => ({ status: 200, body: { ok: true } }));
    const api = new TinybirdApi({ host: `${stub.url}/`, token: TOKEN });
    const answer = await api.request("POST", "/v0/pipes", { query: { force: "true" }, json: { name: "p" } });
    expect(answer).toEqual({ status: 200, body: { ok: true }, text: '{"ok":true}' });
    const [req] = stub.requests;
    expect(req!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req!.headers["content-type"]).toBe("application/json");
    expect(`${req!.path}?${req!.query}`).toBe("/v0/pipes?force=true");
  });

  it.each([
    [
      "as X-RateLimit-Reset says when a 429 comes without Retry-After, as Tinybird's SDK does",
      { "x-ratelimit-reset": "7" },
      { error: "Too many requests" },
      7_000,
    ],
    [
      "as Retry-After says when both come",
      { "retry-after": "2", "x-ratelimit-reset": "9" },
      "slow down",
      2_000,
    ],
  ])("waits %s", async (_, headers, body, wait) => {
    let calls = 0;
    stub = await startStub(() =>
      ++calls === 1 ? { status: 429, headers, body } : { status: 200, body: { ok: true } },
    );
    const clock = recordingSleep();
    const api = new TinybirdApi({ host: stub.url, token: TOKEN, attempts: 2, sleep: clock.sleep });
    await api.request("GET", "/v0/datasources");
    expect(clock.waits).toEqual([wait]);
  });

  it("refuses to buffer an answer past its cap, naming the host setting", async () => {
    const big = Buffer.alloc(MAX_ANSWER_BYTES + 1024, 0x61);
    stub = await startStub(() => ({ status: 200, body: big }));
    const api = new TinybirdApi({ host: stub.url, token: TOKEN, attempts: 1 });
    await expect(api.request("GET", "/v1/deployments")).rejects.toThrow(/over 16 MiB.*tinybirdHost/);
  });
});
