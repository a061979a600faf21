/**
 * Leak watch: every log line and every answer body a run produced, held against every secret,
 * signature, e-mail address and IP address its inputs carried. Scanning is by pattern (base64 runs,
 * e-mail and IP shapes) and set look-up, so a run of thousands of requests is checked in
 * milliseconds, and a signature is found even inside a longer string.
 */

export type LeakKind = "secret" | "signature" | "email" | "ip";

export interface Leak {
  kind: LeakKind;
  /** Where it was seen: the label given with the output, and the output's number. */
  where: string;
  /** The start of the leaked value only, so a failing assertion does not print it whole. */
  sample: string;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const IPV4 = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])/g;
const IPV6 = /(?<![0-9A-Fa-f:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![0-9A-Fa-f:])/g;
const BASE64_RUN = /[A-Za-z0-9+/]{16,}={0,2}/g;
/** Shapes that are a credential whatever the inputs were. */
const CREDENTIAL_SHAPES = [/whsec_[A-Za-z0-9+/=]{8,}/, /\bBearer\s+\S{8,}/i];

export class LeakWatch {
  private readonly outputs: { where: string; text: string }[] = [];
  private readonly secrets = new Set<string>();
  private readonly signatures = new Set<string>();
  private readonly signatureLengths = new Set<number>();
  private readonly personal = new Set<string>();

  /** A log line, answer body or other text the system under test produced. */
  output(where: string, text: string): void {
    this.outputs.push({ where, text });
  }

  get outputCount(): number {
    return this.outputs.length;
  }

  /** Tokens, keys and signing secrets (a `whsec_` secret also as its bare base64 key). */
  secret(...values: string[]): void {
    for (const value of values) {
      if (value.length < 8) throw new Error("a secret shorter than 8 characters cannot be watched reliably");
      this.secrets.add(value);
      if (value.startsWith("whsec_")) this.secrets.add(value.slice("whsec_".length));
    }
  }

  /** Every `v1,<base64>` signature in a `svix-signature` header value (space- or comma-separated). */
  signatureHeader(value: string): void {
    for (const match of value.matchAll(/v1,([A-Za-z0-9+/]{16,}={0,2})/g)) this.signature(match[1]!);
  }

  /** One signature's base64 value. */
  signature(base64: string): void {
    if (base64.length < 16) return;
    this.signatures.add(base64);
    this.signatureLengths.add(base64.length);
  }

  /** E-mail and IP addresses found in an input (a request body, a header value). */
  input(text: string | Buffer): void {
    const content = typeof text === "string" ? text : text.toString("utf8");
    for (const pattern of [EMAIL, IPV4, IPV6]) {
      // Without an "@" the e-mail pattern can only fail, slowly (quadratic) on long runs of letters.
      if (pattern === EMAIL && !content.includes("@")) continue;
      for (const match of content.matchAll(pattern)) {
        if (pattern !== IPV6 || isIpv6(match[0])) this.personal.add(match[0].toLowerCase());
      }
    }
  }

  /** Personal values given directly (a source IP, a planted address). */
  personalValue(...values: string[]): void {
    for (const value of values) this.personal.add(value.toLowerCase());
  }

  /** Figures for a report line: how much was watched and searched. */
  counts(): { outputs: number; secrets: number; signatures: number; personal: number } {
    return {
      outputs: this.outputs.length,
      secrets: this.secrets.size,
      signatures: this.signatures.size,
      personal: this.personal.size,
    };
  }

  find(): Leak[] {
    const leaks: Leak[] = [];
    this.outputs.forEach(({ where, text }, index) => {
      const at = `${where} #${index}`;
      for (const secret of this.secrets) {
        if (text.includes(secret)) leaks.push({ kind: "secret", where: at, sample: mask(secret) });
      }
      for (const shape of CREDENTIAL_SHAPES) {
        const match = shape.exec(text);
        if (match) leaks.push({ kind: "secret", where: at, sample: mask(match[0]) });
      }
      for (const run of text.matchAll(BASE64_RUN)) {
        const found = this.signatureWithin(run[0]);
        if (found) leaks.push({ kind: "signature", where: at, sample: mask(found) });
      }
      for (const [kind, pattern] of [
        ["email", EMAIL],
        ["ip", IPV4],
        ["ip", IPV6],
      ] as const) {
        if (pattern === EMAIL && !text.includes("@")) continue;
        for (const match of text.matchAll(pattern)) {
          if (this.personal.has(match[0].toLowerCase())) {
            leaks.push({ kind, where: at, sample: mask(match[0]) });
          }
        }
      }
    });
    return leaks;
  }

  private signatureWithin(run: string): string | undefined {
    for (const length of this.signatureLengths) {
      for (let start = 0; start + length <= run.length; start += 1) {
        const window = run.slice(start, start + length);
        if (this.signatures.has(window)) return window;
      }
    }
    return undefined;
  }
}

function isIpv6(text: string): boolean {
  // The pattern also matches clock times (09:00:00) and bare colons: an IPv6 address has at least
  // two groups, and a hex letter, a `::` or all 8 groups.
  const groups = text.split(":");
  if (groups.filter((group) => group !== "").length < 2) return false;
  return /[A-Fa-f]/.test(text) || text.includes("::") || groups.length === 8;
}

function mask(value: string): string {
  return `${value.slice(0, 6)}…(${value.length} chars)`;
}
