/**
 * The server side of `npm run bench -- load`, run as its own process so its memory and CPU are its
 * own: `forwarder` is exactly `npm run dev` (startDevServer: the forwarder's handler behind the API
 * Gateway adapter, log lines on stdout); `bare` is a plain node:http server doing the same
 * forwarding with no verification, redaction or logging, the ceiling on this machine.
 * Over IPC it reports its URL once listening, and its memory (after a full GC when node runs with
 * --expose-gc) whenever asked.
 */
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { DEFAULT_DATASOURCE } from "../../lambda/config";
import { WEBHOOK_PATH } from "../../lambda/request";
import { eventsUrl } from "../../lambda/tinybird";
import { startDevServer } from "../../local/dev";

export interface MemoryReport {
  rss: number;
  heapUsed: number;
  /** Whether a full GC ran first (node --expose-gc). */
  collected: boolean;
}

export type ServerMessage = { url: string } | { memory: MemoryReport } | { error: string };

function send(message: ServerMessage): void {
  process.send?.(message);
}

/** Reads a request body, POSTs it as one NDJSON line with the id and receipt time, answers Tinybird's verdict. */
async function startBareServer(env: NodeJS.ProcessEnv): Promise<string> {
  const target = eventsUrl(env.TINYBIRD_HOST ?? "", DEFAULT_DATASOURCE);
  const agent = new Agent({ keepAlive: true });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const event = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      const line = `${JSON.stringify({ ...event, event_id: req.headers["svix-id"], received_at: Date.now() })}\n`;
      const post = request(target, {
        method: "POST",
        agent,
        headers: {
          authorization: `Bearer ${env.TINYBIRD_TOKEN}`,
          "content-type": "application/x-ndjson",
          "content-length": String(Buffer.byteLength(line)),
        },
      });
      post.on("response", (answer) => {
        answer.resume();
        answer.on("end", () => {
          res.writeHead(answer.statusCode === 200 ? 200 : 503, { "content-type": "application/json" });
          res.end('{"code":"forwarded"}');
        });
      });
      post.on("error", () => {
        res.writeHead(503, { "content-type": "application/json" });
        res.end('{"code":"unreachable"}');
      });
      post.end(line);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // The path the forwarder is served on, so both modes take the same URL.
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}${WEBHOOK_PATH}`;
}

function memory(): MemoryReport {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed, collected: gc !== undefined };
}

async function main(mode: string | undefined): Promise<void> {
  const url =
    mode === "forwarder"
      ? (await startDevServer({ ...process.env, PORT: "0", HOST: "127.0.0.1" })).webhookUrl
      : mode === "bare"
        ? await startBareServer(process.env)
        : undefined;
  if (!url) throw new Error(`mode "${mode}": use forwarder or bare`);
  process.on("message", (message) => {
    if (message === "memory") send({ memory: memory() });
    if (message === "exit") process.exit(0);
  });
  send({ url });
}

main(process.argv[2]).catch((error: unknown) => {
  send({ error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
});
