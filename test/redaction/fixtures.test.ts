import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createRedactor } from "../../lambda/redaction/index";
import { type AddressKind, CREDENTIALS, PERSONAL, personalPaths } from "./fixture-expectations";
import { containsToken, deepFreeze, getPath, loadFixtures, setPath } from "./support";

const fixtures = loadFixtures();
const KEY = "fixture-test-key-0123456789abcdef";

// The pseudonym written out independently of the code under test: HMAC-SHA256, 32 hex chars, "pii_".
function pseudonym(kind: AddressKind, value: string, key = KEY): string {
  const normalized = kind === "phone" ? value.replace(/[\s().-]/g, "") : value.trim().toLowerCase();
  return `pii_${createHmac("sha256", key).update(normalized).digest("hex").slice(0, 32)}`;
}

/** The input with only the expected changes applied, serialised: the redactor's output must equal it. */
function expected(raw: string, name: string, withKey: boolean): string {
  const event = JSON.parse(raw) as unknown;
  for (const [path, value] of Object.entries(CREDENTIALS[name]?.redacted ?? {})) setPath(event, path, value);
  if (withKey) {
    for (const [path, kind] of Object.entries(personalPaths(name))) {
      setPath(event, path, pseudonym(kind, getPath(event, path) as string));
    }
  }
  return JSON.stringify(event);
}

describe("every Clerk fixture through the redactor", () => {
  it("covers all 45 event types, and the expectations name only fixtures that exist", () => {
    const names = fixtures.map((f) => f.name);
    expect(names).toHaveLength(45);
    for (const name of [...Object.keys(CREDENTIALS), ...Object.keys(PERSONAL)]) expect(names).toContain(name);
  });

  const redact = createRedactor();
  const pseudonymize = createRedactor({ pseudonymizationKey: KEY });

  describe.each(fixtures)("$name", ({ name, raw }) => {
    it("forwards no credential string from the input", () => {
      const secrets = CREDENTIALS[name]?.secrets ?? [];
      for (const secret of secrets) expect(containsToken(raw, secret), secret).toBe(true);
      const out = JSON.stringify(redact(JSON.parse(raw)));
      for (const secret of secrets) expect(containsToken(out, secret), secret).toBe(false);
    });

    it("keeps every other field byte for byte, in the same order, without touching the input", () => {
      const input = deepFreeze(JSON.parse(raw) as Record<string, unknown>);
      expect(JSON.stringify(redact(input))).toBe(expected(raw, name, false));
      expect(JSON.stringify(input)).toBe(JSON.stringify(JSON.parse(raw)));
    });

    it("with a key, also replaces each e-mail, phone number and IP by its pseudonym, and nothing else", () => {
      const input = deepFreeze(JSON.parse(raw) as Record<string, unknown>);
      const out = JSON.stringify(pseudonymize(input));
      expect(out).toBe(expected(raw, name, true));
      for (const path of Object.keys(personalPaths(name))) {
        expect(out).not.toContain(`"${getPath(input, path) as string}"`);
      }
      expect(out).not.toMatch(/"[^"\s@]+@[^"\s@]+\.[a-z]+"/i);
    });
  });
});
