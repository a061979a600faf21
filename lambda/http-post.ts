/**
 * POST over node:http(s) with one keep-alive agent per container. Not `fetch`: its first call
 * loads and compiles undici, about 25 ms of every cold start (npm run bench), while node:https is
 * already loaded by the AWS SDK. Failures come back as values; nothing here throws.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/**
 * The most of an answer kept: Tinybird's Events API answers a few hundred bytes. Past it the answer
 * is cut there (the status and headers are still used), so a misbehaving or hostile host cannot make
 * the forwarder buffer without bound.
 */
export const MAX_ANSWER_BYTES = 64 * 1024;

export type PostResult =
  | { ok: true; status: number; headers: IncomingMessage["headers"]; text: string }
  | { ok: false; failure: "timeout" | "network"; detail: string };

export type Post = (
  url: URL,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
) => Promise<PostResult>;

class TimeoutError extends Error {
  override name = "TimeoutError";
}

export function createKeepAlivePost(): Post {
  // Lambda may freeze a container for minutes; a pooled socket the server closed meanwhile fails
  // on first use, which `reusedSocket` tells apart from a real outage (retried once, below).
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  const once = (url: URL, headers: Record<string, string>, body: string, timeoutMs: number) =>
    new Promise<PostResult & { reused?: boolean }>((resolve) => {
      const secure = url.protocol === "https:";
      const request = (secure ? httpsRequest : httpRequest)(url, {
        method: "POST",
        agent: secure ? agents.https : agents.http,
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
      });
      const timer = setTimeout(
        () => request.destroy(new TimeoutError(`no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      request.on("response", (response) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        const done = () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ ok: true, status: response.statusCode ?? 0, headers: response.headers, text });
        };
        response.on("data", (chunk: Buffer) => {
          if (kept >= MAX_ANSWER_BYTES) return;
          const part = chunk.subarray(0, MAX_ANSWER_BYTES - kept);
          chunks.push(part);
          kept += part.length;
          if (kept >= MAX_ANSWER_BYTES) {
            // Enough: answer with what is kept and drop the connection rather than read the rest.
            done();
            request.destroy();
          }
        });
        response.on("end", done);
        response.on("error", (error) => settleError(error));
      });
      request.on("error", (error) => settleError(error));
      request.end(body);

      function settleError(error: Error & { code?: string }) {
        clearTimeout(timer);
        resolve({
          ok: false,
          failure: error instanceof TimeoutError ? "timeout" : "network",
          detail: error.code ?? error.message,
          reused: request.reusedSocket,
        });
      }
    });

  return async (url, headers, body, timeoutMs) => {
    const started = Date.now();
    const first = await once(url, headers, body, timeoutMs);
    if (first.ok || first.failure !== "network" || !first.reused) return first;
    // If the server did take the first attempt before resetting, the row is duplicated under the
    // same event_id, the dedup key; a duplicate can be removed, a lost event cannot.
    return once(url, headers, body, Math.max(1, timeoutMs - (Date.now() - started)));
  };
}
