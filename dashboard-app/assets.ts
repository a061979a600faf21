/**
 * The dashboard's two files, built once per server start: the page, and its script bundled and
 * minified by esbuild (Chart.js included: nothing is loaded from a CDN).
 */
import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { join } from "node:path";
import { build } from "esbuild";
import { SECURITY_HEADERS } from "../command-kit/local-http";

export interface DashboardAssets {
  html: string;
  script: string;
}

export async function buildDashboard(): Promise<DashboardAssets> {
  const result = await build({
    entryPoints: [join(__dirname, "page.ts")],
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2020",
    write: false,
    logLevel: "silent",
  });
  return {
    html: readFileSync(join(__dirname, "index.html"), "utf8"),
    script: result.outputFiles[0]!.text,
  };
}

// The page only talks to its own origin, and no other site may frame it.
const PAGE_CSP =
  "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'";

/** The page's icon: a small bar chart, served for /favicon.svg and for browsers asking /favicon.ico. */
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#4f46e5"/><path d="M8 24V15M14 24V9M20 24V13M26 24V6" stroke="#fff" stroke-width="3.5" stroke-linecap="round"/></svg>`;

/** Answers GET /, /dashboard.js and the favicon; false for any other path. */
export function serveDashboardAsset(assets: DashboardAssets, path: string, res: ServerResponse): boolean {
  if (path === "/favicon.svg" || path === "/favicon.ico") {
    res.writeHead(200, {
      "content-type": "image/svg+xml",
      "cache-control": "max-age=86400",
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      ...SECURITY_HEADERS,
    });
    res.end(FAVICON);
    return true;
  }
  if (path !== "/" && path !== "/index.html" && path !== "/dashboard.js") return false;
  const script = path === "/dashboard.js";
  res.writeHead(200, {
    "content-type": script ? "text/javascript; charset=utf-8" : "text/html; charset=utf-8",
    "cache-control": "no-cache",
    "content-security-policy": PAGE_CSP,
    ...SECURITY_HEADERS,
  });
  res.end(script ? assets.script : assets.html);
  return true;
}
