import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lambda/config";

const base = { SECRET_ID: "clerk-tinybird/prod", TINYBIRD_HOST: "https://api.tinybird.co/" };

describe("the forwarder's environment", () => {
  it("defaults the data source to clerk_events and pseudonymisation to off, and trims the host", () => {
    const loaded = loadConfig(base);
    expect(loaded).toEqual({
      ok: true,
      config: {
        secretId: "clerk-tinybird/prod",
        tinybirdHost: "https://api.tinybird.co",
        dataSource: "clerk_events",
        redactPaths: [],
        pseudonymize: false,
        redactPrivateMetadata: true,
        allowSource: expect.any(Function),
      },
    });
    // Without ALLOWED_SOURCE_IPS every source may call (npm run dev, tests).
    expect(loaded.ok && loaded.config.allowSource("203.0.113.9")).toBe(true);
  });

  it("reads REDACT_PRIVATE_METADATA as true|false", () => {
    const off = loadConfig({ ...base, REDACT_PRIVATE_METADATA: "false" });
    expect(off.ok && off.config.redactPrivateMetadata).toBe(false);
    const bad = loadConfig({ ...base, REDACT_PRIVATE_METADATA: "no" });
    expect(bad.ok ? [] : bad.problems).toEqual([expect.stringMatching(/^REDACT_PRIVATE_METADATA is "no"/)]);
  });

  it("reads ALLOWED_SOURCE_IPS: addresses and CIDR blocks, IPv4 and IPv6, and nothing else", () => {
    const loaded = loadConfig({
      ...base,
      ALLOWED_SOURCE_IPS: "44.228.126.217, 2600:1f24:64:8000::/56,10.1.0.0/16",
    });
    if (!loaded.ok) throw new Error(loaded.problems.join("; "));
    const allow = loaded.config.allowSource;
    expect([allow("44.228.126.217"), allow("2600:1f24:64:80ff::1"), allow("10.1.255.3")]).toEqual([
      true,
      true,
      true,
    ]);
    expect([allow("44.228.126.218"), allow("2600:1f24:64:9000::1"), allow("10.2.0.1")]).toEqual([
      false,
      false,
      false,
    ]);
    expect([allow(undefined), allow(""), allow("not-an-ip")]).toEqual([false, false, false]);

    const bad = loadConfig({
      ...base,
      ALLOWED_SOURCE_IPS: "44.228.126.217, 1.2.3.4/33, example.com, 1.2.3.4/8/1",
    });
    expect(bad.ok ? [] : bad.problems).toEqual([
      expect.stringMatching(
        /^ALLOWED_SOURCE_IPS: "1\.2\.3\.4\/33" is neither an IP address nor a CIDR block/,
      ),
      expect.stringMatching(/^ALLOWED_SOURCE_IPS: "example\.com"/),
      expect.stringMatching(/^ALLOWED_SOURCE_IPS: "1\.2\.3\.4\/8\/1"/),
    ]);
  });

  it.each([
    ["http://api.tinybird.co", /must use https/],
    ["http://10.0.0.5:7181", /must use https/],
    ["https://user:hunter2@api.tinybird.co", /carries a user name or password/],
    ["https://api.tinybird.co/v0?token=p.x", /bare API host/],
  ])("refuses TINYBIRD_HOST %s (a token would travel in clear, or the URL carries one)", (host, problem) => {
    const loaded = loadConfig({ ...base, TINYBIRD_HOST: host });
    expect(loaded.ok).toBe(false);
    const problems = loaded.ok ? "" : loaded.problems.join("\n");
    expect(problems).toMatch(problem);
    expect(problems).not.toContain("hunter2");
  });

  it.each(["http://localhost:7181", "http://127.0.0.1:9", "http://[::1]:7181"])(
    "accepts http:// to this machine only (%s: Tinybird Local, tests)",
    (host) => {
      expect(loadConfig({ ...base, TINYBIRD_HOST: host }).ok).toBe(true);
    },
  );

  it("reads REDACT_PATHS as a comma-separated list and PSEUDONYMIZE_PERSONAL_DATA as true|false", () => {
    const loaded = loadConfig({
      ...base,
      REDACT_PATHS: " data.private_metadata, ,data.email_addresses.*.email_address ",
      PSEUDONYMIZE_PERSONAL_DATA: "TRUE",
    });
    expect(loaded.ok && loaded.config.redactPaths).toEqual([
      "data.private_metadata",
      "data.email_addresses.*.email_address",
    ]);
    expect(loaded.ok && loaded.config.pseudonymize).toBe(true);
  });

  it("names each variable that is wrong and how to fix it", () => {
    const loaded = loadConfig({
      TINYBIRD_HOST: "api.tinybird.co",
      TINYBIRD_DATASOURCE: "clerk events",
      PSEUDONYMIZE_PERSONAL_DATA: "yes",
    });
    expect(loaded.ok).toBe(false);
    const problems = loaded.ok ? [] : loaded.problems;
    expect(problems).toEqual([
      expect.stringMatching(/^SECRET_ID is not set: give the ARN or name/),
      expect.stringMatching(/^TINYBIRD_HOST: "api.tinybird.co" is not a URL; e.g. https:\/\/api.tinybird.co/),
      expect.stringMatching(/^TINYBIRD_DATASOURCE "clerk events" is not a Tinybird data source name/),
      expect.stringMatching(/^PSEUDONYMIZE_PERSONAL_DATA is "yes": use true or false/),
    ]);
  });

  it("names a REDACT_PATHS entry that is not a dot path, at start rather than on every event", () => {
    const loaded = loadConfig({ ...base, REDACT_PATHS: "data.private_metadata, data..email" });
    expect(loaded.ok).toBe(false);
    expect(loaded.ok ? [] : loaded.problems).toEqual([
      expect.stringMatching(
        /^REDACT_PATHS: redaction path "data\.\.email" is not a dot path: segment 2 is empty/,
      ),
    ]);
  });

  it("does not need SECRET_ID where secrets come from the environment (npm run dev)", () => {
    expect(loadConfig({ TINYBIRD_HOST: "http://localhost:7181" }, { needsSecretId: false }).ok).toBe(true);
  });
});
