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

/** Answers GET / and /dashboard.js; false for any other path. */
export function serveDashboardAsset(assets: DashboardAssets, path: string, res: ServerResponse): boolean {
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
