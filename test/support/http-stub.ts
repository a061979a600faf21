import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One request as the stand-in server received it, for exact assertions. */
export interface RecordedRequest {
  method: string;
  /** Path and query string, as sent. */
  url: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  /** Header names lower-cased, as node gives them. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  /** Remote port: distinct values count the TCP connections a client opened. */
  remotePort: number;
}

export interface StubReply {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON. */
  body?: unknown;
}

/**
 * Answers one request. Return a reply, or take the raw response to misbehave
 * (hang, reset the socket, answer slowly) the way a failing service does.
 */
export type StubHandler = (
  req: RecordedRequest,
  res: ServerResponse,
) => StubReply | undefined | Promise<StubReply | undefined>;

export interface StubServer {
  /** Base URL, `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  requests: RecordedRequest[];
  /** Replace the handler between phases of a test. */
  handle(handler: StubHandler): void;
  /** Distinct client connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** A local HTTP server on 127.0.0.1 that records requests and answers through `handler`. */
export async function startStub(handler: StubHandler): Promise<StubServer> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://stub");
      const body = Buffer.concat(chunks);
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        url: req.url ?? "/",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        text: body.toString("utf8"),
        remotePort: req.socket.remotePort ?? 0,
      };
      requests.push(recorded);
      Promise.resolve(current(recorded, res))
        .then((reply) => {
          if (!reply || res.headersSent || res.writableEnded) return;
          const isText = typeof reply.body === "string" || Buffer.isBuffer(reply.body);
          const payload =
            reply.body === undefined
              ? ""
              : isText
                ? (reply.body as string | Buffer)
                : JSON.stringify(reply.body);
          res.writeHead(reply.status, {
            ...(reply.body !== undefined && !isText ? { "content-type": "application/json" } : {}),
            ...reply.headers,
          });
          res.end(payload);
        })
        .catch((error: unknown) => {
          res.writeHead(599, { "content-type": "text/plain" });
          res.end(`stub handler threw: ${String(error)}`);
        });
    });
  });
  server.on("connection", (socket: Socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(next) {
      current = next;
    },
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Parses a recorded request's JSON body. */
export function jsonBody<T = unknown>(req: RecordedRequest): T {
  return JSON.parse(req.text) as T;
}
