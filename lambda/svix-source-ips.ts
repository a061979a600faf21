/**
 * The addresses Svix (Clerk's webhook sender) delivers from, per Svix region, as Svix publishes them.
 * Source: https://docs.svix.com/receiving/source-ips (also https://docs.svix.com/webhook-ips.json),
 * read 2026-11-28. Svix notes that static source IPs "are not guaranteed for all pricing tiers":
 * see docs/security.md for what that means for the allowlist and how to turn it off.
 * Update this file (and the date) when Svix changes the list; nothing else holds a copy.
 */
export const SVIX_SOURCE_IPS_URL = "https://docs.svix.com/receiving/source-ips";
export const SVIX_SOURCE_IPS_READ_ON = "2026-11-28";

export const SVIX_SOURCE_IPS = {
  us: ["44.228.126.217", "50.112.21.217", "52.24.126.164", "54.148.139.208", "2600:1f24:64:8000::/56"],
  eu: ["52.215.16.239", "54.216.8.72", "63.33.109.123", "2a05:d028:17:8000::/56"],
  /** Svix private regions: listed so an app hosted there is not refused. */
  au: ["13.239.204.236", "54.66.246.217", "54.252.65.96", "2406:da2c:13:4000::/56"],
  ca: ["52.60.44.49", "3.98.68.230", "3.96.105.27", "2600:1f21:1c:4000::/56"],
  in: ["13.126.41.108", "15.207.218.84", "65.2.133.31"],
} as const satisfies Record<string, readonly string[]>;

export type SvixRegion = keyof typeof SVIX_SOURCE_IPS;
export const SVIX_REGIONS = Object.keys(SVIX_SOURCE_IPS) as SvixRegion[];

/** The addresses of the given regions, in one list (the forwarder's ALLOWED_SOURCE_IPS). */
export function svixSourceIps(regions: readonly SvixRegion[]): string[] {
  return regions.flatMap((region) => SVIX_SOURCE_IPS[region]);
}
