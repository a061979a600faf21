/**
 * Reads the Svix app-portal login link Clerk hands out. Its format is not a documented API
 * (`…#key=<base64 JSON {appId, oneTimeToken, region}>`), so every surprise fails with a message
 * that says so and names manual mode — and never quotes the link, which carries a credential.
 */
import { CommandError } from "../command-kit/command-shell";
import { CONFIG } from "./config";

/** How to do without automatic registration. */
export const MANUAL_MODE_STEPS =
  `add the endpoint in the Clerk dashboard (Webhooks → Add Endpoint, URL = this stack's webhook URL), ` +
  `then \`pulumi config set --secret ${CONFIG.signingSecret} whsec_…\` with its signing secret and remove ${CONFIG.secretKey}`;

export const MANUAL_MODE_HINT = `Use manual mode instead: ${MANUAL_MODE_STEPS}`;

/** The automatic path met an answer the undocumented Clerk→Svix hand-over does not explain. */
export function undocumentedFlow(what: string): CommandError {
  return new CommandError(
    `${what}. Clerk or Svix probably changed the undocumented login hand-over this stack relies on. ${MANUAL_MODE_HINT}`,
  );
}

export interface SvixLogin {
  appId: string;
  oneTimeToken: string;
  region?: string;
}

const REGIONS = new Set(["us", "eu", "in", "ca", "au"]);

/** Svix's API host for a region; the global host when the region is absent or unknown. */
export function svixApiBase(region: string | undefined): string {
  return region && REGIONS.has(region) ? `https://api.${region}.svix.com` : "https://api.svix.com";
}

export function isKnownRegion(region: string | undefined): boolean {
  return region !== undefined && REGIONS.has(region);
}

/** The raw `key` parameter from the fragment (or, tolerated, the query). `+` stays `+`: it is base64. */
function keyParam(svixUrl: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(svixUrl);
  } catch {
    return undefined;
  }
  for (const part of [parsed.hash.replace(/^#/, ""), parsed.search.replace(/^\?/, "")]) {
    for (const pair of part.split("&")) {
      if (pair.startsWith("key=")) {
        const raw = pair.slice(4);
        try {
          return decodeURIComponent(raw);
        } catch {
          return raw; // not percent-encoded after all; the decoder below judges it
        }
      }
    }
  }
  return undefined;
}

export function parseSvixUrl(svixUrl: unknown): SvixLogin {
  if (typeof svixUrl !== "string" || svixUrl === "") {
    throw undocumentedFlow("Clerk's answer to POST /v1/webhooks/svix_url carried no svix_url");
  }
  const key = keyParam(svixUrl);
  if (!key) {
    throw undocumentedFlow("The Svix login link from Clerk has no #key= part");
  }
  let decoded: unknown;
  try {
    // Node's base64 decoder accepts the URL-safe alphabet and missing padding too.
    decoded = JSON.parse(Buffer.from(key, "base64").toString("utf8"));
  } catch {
    throw undocumentedFlow("The key in the Svix login link from Clerk is not base64-encoded JSON");
  }
  const fields = (decoded ?? {}) as Record<string, unknown>;
  const { appId, oneTimeToken, region } = fields;
  if (typeof appId !== "string" || appId === "" || typeof oneTimeToken !== "string" || oneTimeToken === "") {
    throw undocumentedFlow(
      `The key in the Svix login link from Clerk lacks appId or oneTimeToken (it has: ${Object.keys(fields).join(", ") || "nothing"})`,
    );
  }
  return typeof region === "string" && region !== ""
    ? { appId, oneTimeToken, region: region.toLowerCase() }
    : { appId, oneTimeToken };
}
