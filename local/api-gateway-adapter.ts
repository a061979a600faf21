/**
 * Plays API Gateway (HTTP API, payload format 2.0) in front of a Lambda handler on a local HTTP
 * server: the request becomes the event API Gateway would build, the handler's result becomes the
 * HTTP answer. Used by `npm run dev`, the tests and the load test.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { type LocalHttpServer, listen, refuseBrowserRequest } from "../command-kit/local-http";
import { WEBHOOK_PATH } from "../lambda/request";

export type ApiGatewayHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** The stack's one route (infra/components/webhook-api.ts): API Gateway answers 404 to any other. */
export const WEBHOOK_ROUTE = `POST ${WEBHOOK_PATH}`;

export interface RequestParts {
  method: string;
  /** Path with an optional `?query`. */
  url?: string;
  /** Header names in any case; repeated headers as arrays. */
  headers?: Record<string, string | string[] | undefined>;
  body?: Buffer | string;
  sourceIp?: string;
  now?: number;
  /** The matched route (`POST /webhooks/clerk`); `$default` when the gateway has a catch-all route. */
  routeKey?: string;
}

// API Gateway passes these as text and base64-encodes every other body.
const TEXT_TYPES = /^(text\/|application\/(json|x-ndjson|xml|x-www-form-urlencoded|javascript)\b)|\+json\b/i;

/** The event API Gateway builds for a request: lower-cased headers, repeats comma-joined, cookies split. */
export function toApiGatewayEvent(parts: RequestParts): APIGatewayProxyEventV2 {
  const url = new URL(parts.url ?? "/", "http://localhost");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(parts.headers ?? {})) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
  }
  const cookies = headers.cookie?.split(/;\s*/);
  delete headers.cookie;
  const raw = typeof parts.body === "string" ? Buffer.from(parts.body, "utf8") : parts.body;
  const asText = raw !== undefined && TEXT_TYPES.test(headers["content-type"] ?? "");
  const now = parts.now ?? Date.now();
  const method = parts.method.toUpperCase();
  const routeKey = parts.routeKey ?? "$default";
  return {
    version: "2.0",
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    requestContext: {
      accountId: "anonymous",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "local",
      http: {
        method,
        path: url.pathname,
        protocol: "HTTP/1.1",
        sourceIp: parts.sourceIp ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey,
      stage: "$default",
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    ...(raw === undefined || raw.length === 0
      ? {}
      : { body: asText ? raw.toString("utf8") : raw.toString("base64") }),
    isBase64Encoded: raw !== undefined && raw.length > 0 && !asText,
  };
}

/** Writes a handler's result the way API Gateway answers the client. */
export function writeApiGatewayResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  const body =
    result.body === undefined ? "" : Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8");
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(body);
}

/**
 * API Gateway's own limit on a request's payload (HTTP APIs: 10 MB); past it, it answers 413 itself
 * and never invokes the function. The local server stops buffering there too, so a client streaming
 * without end cannot fill its memory.
 */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

export type LocalApiGateway = LocalHttpServer;

/**
 * A node HTTP listener that passes each request to `handler` as API Gateway would. With `route`
 * (`METHOD /path`), only that route reaches the handler and anything else gets API Gateway's own
 * 404; without it every request does (a `$default` route).
 */
export function apiGatewayListener(
  handler: ApiGatewayHandler,
  route?: string,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (
      route !== undefined &&
      `${req.method} ${new URL(req.url ?? "/", "http://localhost").pathname}` !== route
    ) {
      req.resume();
      res.writeHead(404, { "content-type": "application/json" });
      res.end('{"message":"Not Found"}');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) {
        chunks.push(chunk);
        return;
      }
      // Answer now and drop the rest as it arrives (nothing more is kept): the client reads the 413
      // whether or not it keeps sending.
      tooLarge = true;
      chunks.length = 0;
      res.writeHead(413, { "content-type": "application/json", connection: "close" });
      res.end('{"message":"Request Entity Too Large"}');
    });
    req.on("end", () => {
      if (tooLarge) return;
      const event = toApiGatewayEvent({
        method: req.method ?? "GET",
        url: req.url ?? "/",
        // API Gateway joins a repeated header's values with ","; node's `req.headers` drops or
        // ", "-joins some of them.
        headers: req.headersDistinct,
        body: Buffer.concat(chunks),
        sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
        ...(route !== undefined ? { routeKey: route } : {}),
      });
      handler(event)
        .then((result) => writeApiGatewayResult(res, result))
        .catch(() => {
          // What API Gateway answers when the integration fails.
          res.writeHead(500, { "content-type": "application/json" });
          res.end('{"message":"Internal Server Error"}');
        });
    });
  };
}

/**
 * Serves `handler` on host:port (port 0 picks a free one) through the adapter; `route` as above. A
 * request a browser sent for a web page (it carries Origin) is refused: webhooks come from programs.
 */
export function serveApiGateway(
  handler: ApiGatewayHandler,
  { port = 0, host = "127.0.0.1", route }: { port?: number; host?: string; route?: string } = {},
): Promise<LocalApiGateway> {
  const gateway = apiGatewayListener(handler, route);
  return listen((req, res) => refuseBrowserRequest(req, res) || gateway(req, res), { port, host });
}
