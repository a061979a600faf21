import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lambda/config";

const base = { SECRET_ID: "clerk-tinybird/prod", TINYBIRD_HOST: "https://api.tinybird.co/" };

describe("the forwarder's environment", () => {
  it("defaults the data source to clerk_events and pseudonymisation to off, and trims the host", () => {
    expect(loadConfig(base)).toEqual({
      ok: true,
      config: {
        secretId: "clerk-tinybird/prod",
        tinybirdHost: "https://api.tinybird.co",
        dataSource: "clerk_events",
        redactPaths: [],
        pseudonymize: false,
      },
    });
  });

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
      expect.stringMatching(/^TINYBIRD_HOST "api.tinybird.co" is not an http\(s\) URL/),
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
