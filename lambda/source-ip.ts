/**
 * The source-address allowlist (ALLOWED_SOURCE_IPS): the first check on every request, before any
 * header is read or secret fetched, so forged traffic from elsewhere costs a few microseconds and no
 * Secrets Manager call. Addresses and CIDR blocks, IPv4 and IPv6, matched by node:net's BlockList.
 */
import { BlockList, isIP } from "node:net";

export type SourceCheck = (sourceIp: string | undefined) => boolean;

export type SourceListResult = { ok: true; check: SourceCheck } | { ok: false; problems: string[] };

/** Parses `1.2.3.4, 2600:1f24:64:8000::/56, …` into a check; an empty list allows every source. */
export function parseSourceList(text: string): SourceListResult {
  const entries = text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (entries.length === 0) return { ok: true, check: () => true };
  const list = new BlockList();
  const problems: string[] = [];
  for (const entry of entries) {
    const [address = "", prefix, extra] = entry.split("/");
    const family = isIP(address);
    const bits = prefix === undefined ? undefined : Number(prefix);
    const maxBits = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined || (bits !== undefined && !isPrefix(prefix, bits, maxBits))) {
      problems.push(
        `"${entry}" is neither an IP address nor a CIDR block (e.g. 44.228.126.217 or 2600:1f24::/56)`,
      );
      continue;
    }
    const type = family === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, bits, type);
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    check: (sourceIp) => {
      const family = sourceIp === undefined ? 0 : isIP(sourceIp);
      return family !== 0 && list.check(sourceIp as string, family === 6 ? "ipv6" : "ipv4");
    },
  };
}

function isPrefix(text: string | undefined, bits: number, max: number): boolean {
  return text !== undefined && /^\d{1,3}$/.test(text) && bits >= 0 && bits <= max;
}
