import { describe, expect, it } from "vitest";
import { readConfig, readProvisionResult } from "../../infra/provisioning/tinybird/config";

const base = { TINYBIRD_HOST: "https://api.tinybird.co/", TINYBIRD_ADMIN_TOKEN: " p.admin " };

describe("readConfig", () => {
  it("reads the environment with its defaults", () => {
    expect(readConfig(base)).toEqual({
      host: "https://api.tinybird.co",
      adminToken: "p.admin",
      dataSourceName: undefined,
      deleteDataOnDestroy: false,
      allowDestructiveOperations: false,
      deploymentWaitMs: 120 * 60_000,
    });
    expect(
      readConfig({
        ...base,
        TINYBIRD_DATASOURCE: "auth_events",
        TINYBIRD_DELETE_DATA_ON_DESTROY: "true",
        TINYBIRD_ALLOW_DESTRUCTIVE: "TRUE",
        TINYBIRD_DEPLOYMENT_WAIT_MINUTES: "45",
      }),
    ).toMatchObject({
      dataSourceName: "auth_events",
      deleteDataOnDestroy: true,
      allowDestructiveOperations: true,
      deploymentWaitMs: 45 * 60_000,
    });
  });

  it("names the setting to fix", () => {
    expect(() => readConfig({ TINYBIRD_ADMIN_TOKEN: "p.x" })).toThrow(
      /TINYBIRD_HOST is not set: .*tinybirdHost/,
    );
    expect(() => readConfig({ TINYBIRD_HOST: "https://api.tinybird.co" })).toThrow(
      /TINYBIRD_ADMIN_TOKEN is not set: .*pulumi config set --secret tinybirdAdminToken/,
    );
    expect(() => readConfig({ ...base, TINYBIRD_HOST: "https://app.tinybird.co/gcp/europe-west3" })).toThrow(
      /is Tinybird's web UI: use the API host/,
    );
    expect(() => readConfig({ ...base, TINYBIRD_HOST: "api.tinybird.co" })).toThrow(
      /must be an http\(s\) URL|is not a URL/,
    );
    // The admin token travels with every call: never plain http beyond this machine, never user:password.
    expect(() => readConfig({ ...base, TINYBIRD_HOST: "http://api.tinybird.co" })).toThrow(/must use https/);
    expect(() => readConfig({ ...base, TINYBIRD_HOST: "https://u:hunter2@api.tinybird.co" })).toThrow(
      /user name or password/,
    );
    expect(() => readConfig({ ...base, TINYBIRD_HOST: "https://u:hunter2@api.tinybird.co" })).not.toThrow(
      /hunter2/,
    );
    expect(readConfig({ ...base, TINYBIRD_HOST: "http://localhost:7181" }).host).toBe(
      "http://localhost:7181",
    );
    expect(() => readConfig({ ...base, TINYBIRD_DEPLOYMENT_WAIT_MINUTES: "0" })).toThrow(
      /TINYBIRD_DEPLOYMENT_WAIT_MINUTES must be a whole number of minutes, at least 1, got "0" \(stack config tinybirdDeploymentWaitMinutes\)/,
    );
    expect(() => readConfig({ ...base, TINYBIRD_DELETE_DATA_ON_DESTROY: "yes" })).toThrow(
      /must be true or false, got "yes" \(stack config tinybirdDeleteDataOnDestroy\)/,
    );
  });
});

describe("readProvisionResult", () => {
  it("reads the last result line and ignores anything else", () => {
    const line = JSON.stringify({
      kind: "classic",
      dataSource: "d",
      appendToken: "p.a",
      readToken: "",
      pipes: ["x", 3],
    });
    expect(readProvisionResult(`noise\n${line}\n`)).toEqual({
      kind: "classic",
      dataSource: "d",
      appendToken: "p.a",
      readToken: "",
      appendTokenName: "",
      readTokenName: "",
      pipes: ["x"],
    });
    expect(readProvisionResult("")).toBeUndefined();
    expect(readProvisionResult("{not json")).toBeUndefined();
    expect(readProvisionResult('{"kind":"other"}')).toBeUndefined();
  });
});
