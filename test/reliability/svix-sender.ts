/**
 * A sender that behaves as Svix does: each attempt re-signed with a fresh timestamp under the same
 * `svix-id`, retried on Svix's schedule until a 2xx or the schedule runs out. Time is virtual:
 * attempts due at the same virtual moment go out together, then the clock jumps to the next one,
 * so 27 hours of retries take as long as the requests themselves. Nothing sleeps.
 */
import { Agent, request } from "node:http";
import { SVIX_RETRY_DELAYS_MS, svixSignature } from "./svix-signing";

export interface Message {
  id: string;
  /** The JSON text Svix sends (and signs). */
  body: string;
  /** Virtual time (epoch ms) of the first attempt. */
  firstAttemptAt: number;
}

export interface Attempt {
  id: string;
  /** 0 for the first attempt, 7 for Svix's last. */
  number: number;
  /** Virtual time it was sent (epoch ms). */
  at: number;
  /** The `svix-signature` header it carried. */
  signature: string;
  /** The HTTP status, or 0 when no answer came (connection failed or Svix's timeout passed). */
  status: number;
  retryAfter?: string;
  body: string;
}

export interface SvixRun {
  attempts: Attempt[];
  /** Message ids answered 2xx by some attempt. */
  delivered: Set<string>;
  /** Message ids whose every scheduled attempt failed. */
  gaveUp: Set<string>;
  /** Distinct virtual moments at which attempts went out. */
  ticks: number;
}

export interface SvixSenderOptions {
  /** The endpoint, e.g. the local API Gateway adapter's URL. */
  url: string;
  signingSecret: string;
  /** Moves the virtual clock (and whatever reads it) to `at` before a tick's attempts go out. */
  setTime(at: number): void;
  /** Called at each tick before its attempts go out (e.g. to recycle a container). */
  beforeTick?(tick: number, at: number): void;
  /** How long an attempt may take before it counts as failed (Svix waits 15 s). */
  attemptTimeoutMs?: number;
}

export async function sendAsSvix(messages: readonly Message[], options: SvixSenderOptions): Promise<SvixRun> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const run: SvixRun = { attempts: [], delivered: new Set(), gaveUp: new Set(), ticks: 0 };
  let due = messages.map((message) => ({ message, number: 0, at: message.firstAttemptAt }));
  try {
    while (due.length > 0) {
      const at = Math.min(...due.map((d) => d.at));
      const now = due.filter((d) => d.at === at);
      due = due.filter((d) => d.at !== at);
      options.setTime(at);
      options.beforeTick?.(run.ticks, at);
      run.ticks += 1;
      const attempts = await Promise.all(
        now.map(({ message, number }) => attempt(message, number, at, agent, options)),
      );
      now.forEach(({ message, number }, i) => {
        const sent = attempts[i]!;
        run.attempts.push(sent);
        if (sent.status >= 200 && sent.status < 300) {
          run.delivered.add(message.id);
        } else if (number + 1 < SVIX_RETRY_DELAYS_MS.length) {
          due.push({ message, number: number + 1, at: at + SVIX_RETRY_DELAYS_MS[number + 1]! });
        } else {
          run.gaveUp.add(message.id);
        }
      });
    }
  } finally {
    agent.destroy();
  }
  return run;
}

function attempt(
  message: Message,
  number: number,
  at: number,
  agent: Agent,
  options: SvixSenderOptions,
): Promise<Attempt> {
  const timestamp = Math.floor(at / 1000);
  const signature = svixSignature(options.signingSecret, message.id, timestamp, message.body);
  const base = { id: message.id, number, at, signature };
  return new Promise((resolve) => {
    const req = request(options.url, {
      method: "POST",
      agent,
      headers: {
        "content-type": "application/json",
        "user-agent": "Svix-Webhooks/1.99 (reliability simulation)",
        "svix-id": message.id,
        "svix-timestamp": String(timestamp),
        "svix-signature": signature,
        "content-length": String(Buffer.byteLength(message.body)),
      },
      timeout: options.attemptTimeoutMs ?? 15_000,
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const retryAfter = res.headers["retry-after"];
        resolve({
          ...base,
          status: res.statusCode ?? 0,
          ...(retryAfter === undefined ? {} : { retryAfter }),
          body: Buffer.concat(chunks).toString("utf8"),
        });
      });
      res.on("error", () => resolve({ ...base, status: 0, body: "" }));
    });
    req.on("timeout", () => req.destroy(new Error("Svix's attempt timeout passed")));
    req.on("error", () => resolve({ ...base, status: 0, body: "" }));
    req.end(message.body);
  });
}
