/**
 * Every Clerk fixture, signed by svix and sent through the forwarder's handler, against a local Tinybird
 * Events API: what Tinybird receives carries no credential, every other field byte for byte as Clerk sent
 * it, and (with the option on) pseudonyms instead of addresses, the same in every line.
 */
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ForwarderConfig } from "../../lambda/config";
import { eventRow } from "../../lambda/event-row";
import { createHandler, type Handler } from "../../lambda/forwarder";
import { createJsonLogger } from "../../lambda/logger";
import { REDACTED } from "../../lambda/redaction/index";
import { staticSecretSource } from "../../lambda/secrets";
import { createTinybirdClient } from "../../lambda/tinybird";
import {
  forwarderConfig,
  SIGNING_SECRET,
  signedEvent,
  TINYBIRD_TOKEN,
  tinybirdStored,
} from "../support/forwarder-stubs";
import { type StubServer, startStub } from "../support/http-stub";
import { CREDENTIALS, personalPaths } from "./fixture-expectations";
import { containsToken, getPath, loadFixtures, setPath } from "./support";

const NOW = Date.UTC(2026, 10, 24, 9, 0, 0);
const KEY = "forwarder-redaction-key-0123456789abcdef";
const fixtures = loadFixtures();

let tinybird: StubServer;
const logs: string[] = [];

function forwarder(privacy: Pick<ForwarderConfig, "redactPaths" | "pseudonymize">): Handler {
  const config = forwarderConfig(tinybird.url, privacy);
  return createHandler({
    config,
    secrets: staticSecretSource({
      tinybirdToken: TINYBIRD_TOKEN,
      signingSecret: SIGNING_SECRET,
      pseudonymizationKey: KEY,
    }),
    tinybird: createTinybirdClient({
      host: config.tinybirdHost,
      dataSource: config.dataSource,
      now: () => NOW,
    }),
    logger: createJsonLogger({
      service: "forwarder-redaction-test",
      now: () => NOW,
      write: (line) => logs.push(line),
    }),
    now: () => NOW,
  });
}

/** Sends the raw text (signed as sent) and returns the one line Tinybird received. */
async function forward(handler: Handler, raw: string, id: string): Promise<string> {
  const before = tinybird.requests.length;
  const result = await handler(signedEvent(raw, { id }));
  expect(result.statusCode).toBe(200);
  expect(tinybird.requests).toHaveLength(before + 1);
  return tinybird.requests[before]!.text;
}

beforeAll(async () => {
  tinybird = await startStub(() => tinybirdStored());
});
afterAll(() => tinybird.close());
beforeEach(() => {
  tinybird.requests.length = 0;
  logs.length = 0;
});

describe("what Tinybird receives for each Clerk fixture (default privacy settings)", () => {
  const handler = () => forwarder({ redactPaths: [], pseudonymize: false });

  it.each(fixtures)("$name: no credential, everything else as sent", async ({ name, raw }) => {
    const text = await forward(handler(), raw, `msg_${name}`);

    for (const secret of CREDENTIALS[name]?.secrets ?? []) {
      expect(containsToken(raw, secret), secret).toBe(true);
      expect(containsToken(text, secret), secret).toBe(false);
    }
    const expected = JSON.parse(raw) as Record<string, unknown>;
    for (const [path, value] of Object.entries(CREDENTIALS[name]?.redacted ?? {}))
      setPath(expected, path, value);
    expect(text).toBe(`${JSON.stringify(eventRow(expected, `msg_${name}`, NOW))}\n`);
    for (const line of logs)
      for (const secret of CREDENTIALS[name]?.secrets ?? []) expect(line).not.toContain(secret);
  });
});

describe("with pseudonymizePersonalData and redactPaths", () => {
  it("no raw address reaches Tinybird, and one address has one pseudonym across events", async () => {
    const handler = forwarder({ redactPaths: ["data.private_metadata"], pseudonymize: true });
    const byAddress = new Map<string, Set<unknown>>();
    for (const { name, raw } of fixtures) {
      const line = JSON.parse(await forward(handler, raw, `msg_${name}`)) as Record<string, unknown>;
      const input = JSON.parse(raw) as Record<string, unknown>;
      for (const path of Object.keys(personalPaths(name))) {
        const address = getPath(input, path) as string;
        const pseudonym = getPath(line, path);
        expect(pseudonym, `${name} ${path}`).toMatch(/^pii_[0-9a-f]{32}$/);
        expect(JSON.stringify(line)).not.toContain(`"${address}"`);
        byAddress.set(address, (byAddress.get(address) ?? new Set()).add(pseudonym));
      }
      if (getPath(input, "data.private_metadata") != null)
        expect(getPath(line, "data.private_metadata")).toBe(REDACTED);
    }
    expect(byAddress.size).toBeGreaterThan(5);
    for (const [, pseudonyms] of byAddress) expect(pseudonyms.size).toBe(1);
  });
});

describe("generated magic-link e-mails through the forwarder", () => {
  it("the link's token never reaches Tinybird; the template and recipient id do", async () => {
    const handler = forwarder({ redactPaths: [], pseudonymize: false });
    const template = JSON.parse(fixtures.find((f) => f.name === "email.created")!.raw) as Record<string, any>;
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9_-]{16,40}$/), async (token) => {
        const magic = `https://accounts.acme.com/v1/verify?token=${token}&redirect_url=%2F`;
        const event = {
          ...template,
          data: {
            ...template.data,
            slug: "magic_link_sign_in",
            subject: "Sign in to Acme",
            body: `<a href="${magic}">Sign in</a>`,
            body_plain: `Sign in: ${magic}`,
            data: { app: template.data.data.app, magic_link: magic, nested: [{ href: magic }] },
          },
        };
        const text = await forward(handler, JSON.stringify(event), `msg_${token.slice(0, 8)}`);
        expect(containsToken(text, token)).toBe(false);
        const line = JSON.parse(text);
        expect([line.data.slug, line.data.user_id, line.data.status]).toEqual([
          "magic_link_sign_in",
          "user_abcd",
          "queued",
        ]);
        expect(line.data.data.nested).toEqual([
          { href: `https://accounts.acme.com/v1/verify?token=${REDACTED}&redirect_url=%2F` },
        ]);
      }),
      { numRuns: 25 },
    );
  });
});
