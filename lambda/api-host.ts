/**
 * The one check of an API host URL a token is sent to (Tinybird's, Clerk's, Svix's), shared by the
 * stack's config, the provisioning commands and the forwarder: https, or http only to this machine
 * (Tinybird Local, test servers); never credentials, a query or a fragment in the URL. Here rather
 * than in infra/ because lambda/ never imports infra/.
 */

export type ApiHostCheck =
  | { ok: true; url: URL /** http:// to localhost or a loopback address. */; local: boolean }
  | { ok: false; problem: string };

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_NAMES.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** `allowPath`: the URL may carry a path (an API base such as `http://127.0.0.1:4010/v1`). */
export function checkApiHost(raw: string, { allowPath = false }: { allowPath?: boolean } = {}): ApiHostCheck {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { ok: false, problem: `"${raw}" is not a URL` };
  }
  if (url.username || url.password) {
    return { ok: false, problem: `"${redactUserInfo(url)}" carries a user name or password: remove it` };
  }
  if (url.search || url.hash || (!allowPath && url.pathname !== "/" && url.pathname !== "")) {
    return { ok: false, problem: `"${raw}" must be the bare API host, without a path, query or fragment` };
  }
  if (url.protocol === "https:") return { ok: true, url, local: false };
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return { ok: true, url, local: true };
  if (url.protocol === "http:") {
    return {
      ok: false,
      problem: `"${raw}" must use https (a token travels with each request); http is for localhost only`,
    };
  }
  return { ok: false, problem: `"${raw}" is not an http(s) URL` };
}

/** The URL for a message, its user-info replaced so a password is never echoed. */
function redactUserInfo(url: URL): string {
  const copy = new URL(url.href);
  copy.username = copy.username ? "…" : "";
  copy.password = copy.password ? "…" : "";
  return copy.href;
}
