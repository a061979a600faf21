/**
 * What every local server of this project shares (npm start, npm run dev, npm run dashboard): its
 * port read from the environment, listen on a loopback address and close cleanly (a port in use said
 * with its fix), answer JSON with the headers that keep a browser from reading it cross-site, and
 * refuse what a web page on another site could make a browser send.
 */
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { CommandError } from "./command-shell";

export interface LocalHttpServer {
  /** `http://host:port`, no trailing slash. */
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/**
 * The port in the environment variable `name` (`fallback` when unset), or `fallback` with a problem
 * naming the variable and a port to use instead.
 */
export function readPort(env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number {
  const port = Number(env[name] ?? fallback);
  if (Number.isInteger(port) && port >= 0 && port <= 65535) return port;
  problems.push(`${name} "${env[name]}" is not a port number: use e.g. ${name}=${fallback + 10}`);
  return fallback;
}

/**
 * For a failed listen: a port in use becomes a CommandError saying so and `fix` (the variables to
 * set, e.g. "PORT=8797 npm run dev"); anything else is thrown as it is.
 */
export function portInUse(fix: string): (error: unknown) => never {
  return (error) => {
    const failed = error as NodeJS.ErrnoException & { port?: number };
    if (failed.code !== "EADDRINUSE") throw error;
    throw new CommandError(
      `port ${failed.port} is in use: stop what runs there, or choose another, e.g. ${fix}`,
      {
        cause: error,
      },
    );
  };
}

/** Serves `listener` on host:port (port 0 picks a free one); throws EADDRINUSE as node does. */
export async function listen(
  listener: RequestListener,
  { port = 0, host = "127.0.0.1" }: { port?: number; host?: string } = {},
): Promise<LocalHttpServer> {
  const server = createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * On every answer: the type is what it says (no sniffing JSON into a script), nothing may frame or
 * embed it from another site, and a JSON answer may load nothing.
 */
export const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "cross-origin-resource-policy": "same-origin",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
} as const;

const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";

/** Answers JSON with the security headers and a CSP that allows nothing. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": "application/json",
    "cache-control": "no-store",
    "content-security-policy": JSON_CSP,
    ...SECURITY_HEADERS,
    ...headers,
  });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

/** The names this machine's browsers use for a loopback server on `port`. */
function loopbackHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

/**
 * Refuses (403, true) a request a page on another site could have made: a Host that is not this
 * server's loopback name and port (DNS rebinding: a page whose name now points to 127.0.0.1 sends
 * its own name), or an `Origin` other than this server's own. A request without Origin (curl, the
 * forwarder, a same-origin GET) passes.
 */
export function refuseForeignRequest(req: IncomingMessage, res: ServerResponse, port: number): boolean {
  const hosts = loopbackHosts(port);
  const host = req.headers.host?.toLowerCase();
  const origin = req.headers.origin;
  const problem =
    host === undefined || !hosts.has(host)
      ? "this server answers requests to its own loopback address only (Host)"
      : origin !== undefined && !hosts.has(origin.toLowerCase().replace(/^http:\/\//, ""))
        ? "this server answers pages of its own origin only (Origin)"
        : undefined;
  if (problem === undefined) return false;
  req.resume();
  sendJson(res, 403, { error: problem });
  return true;
}

/**
 * Refuses (403, true) any request a browser sent on a page's behalf (it carries `Origin`): for a
 * server whose only callers are programs, e.g. a webhook receiver that a tunnel exposes under any
 * Host name.
 */
export function refuseBrowserRequest(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.headers.origin === undefined) return false;
  req.resume();
  sendJson(res, 403, { error: "this endpoint takes webhooks, not requests from web pages (Origin)" });
  return true;
}
