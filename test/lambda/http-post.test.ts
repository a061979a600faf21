/**
 * The forwarder's POST reads an answer with a cap: a host that answers without end (or with far more
 * than Tinybird's few hundred bytes) cannot make it buffer without bound or wait for the end.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createKeepAlivePost, MAX_ANSWER_BYTES } from "../../lambda/http-post";

let server: Server;
let url: URL;
beforeAll(async () => {
  // 200 and then bytes for ever: the answer never ends.
  server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/json", "x-ratelimit-reset": "3" });
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once("drain", pump);
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v0/events`);
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

it("answers with the first MAX_ANSWER_BYTES of an endless answer, its status and headers, long before the timeout", async () => {
  const post = createKeepAlivePost();
  const result = await post(url, {}, "{}\n", 30_000);
  expect(result).toMatchObject({ ok: true, status: 200, headers: { "x-ratelimit-reset": "3" } });
  expect(result.ok && Buffer.byteLength(result.text)).toBe(MAX_ANSWER_BYTES);
});
