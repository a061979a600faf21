/**
 * `npm run preview|up|destroy|stack`: the team's backend (PULUMI_BACKEND_URL, a stored
 * `pulumi login`) wins, and state on this machine (file://~) is the default only without either;
 * a failed download of the pinned CLI says what, from where, and the offline way.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { choosePulumiCli } from "../../infra/run-pulumi";
import { NO_ACCOUNT_BACKEND, pulumiEnvironment } from "../../stack-access/pulumi-cli";

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "pulumi-home-"));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const login = (current: string) => writeFileSync(join(home, "credentials.json"), JSON.stringify({ current }));

it("defaults to state on this machine when there is neither PULUMI_BACKEND_URL nor a stored login", () => {
  expect(pulumiEnvironment({ PULUMI_HOME: home }).PULUMI_BACKEND_URL).toBe(NO_ACCOUNT_BACKEND);
  writeFileSync(join(home, "credentials.json"), "{}");
  expect(pulumiEnvironment({ PULUMI_HOME: home }).PULUMI_BACKEND_URL).toBe(NO_ACCOUNT_BACKEND);
});

it("leaves the backend to Pulumi when PULUMI_BACKEND_URL is set or a login is stored", () => {
  expect(
    pulumiEnvironment({ PULUMI_HOME: home, PULUMI_BACKEND_URL: "s3://team-state" }).PULUMI_BACKEND_URL,
  ).toBe("s3://team-state");
  login("https://api.pulumi.com");
  expect(pulumiEnvironment({ PULUMI_HOME: home }).PULUMI_BACKEND_URL).toBeUndefined();
});

it("runs the pinned CLI with the arguments given and the backend chosen", () => {
  // A stand-in `pulumi` first on PATH, as node_modules/.bin is under npm; it prints what it was given.
  const bin = join(home, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "pulumi"), '#!/bin/sh\necho "$* backend=$PULUMI_BACKEND_URL"\n');
  chmodSync(join(bin, "pulumi"), 0o755);
  const run = () =>
    execFileSync(process.execPath, ["--import", "tsx", "infra/run-pulumi.ts", "preview", "--diff"], {
      env: { PATH: `${bin}${delimiter}${process.env.PATH}`, PULUMI_HOME: home },
      encoding: "utf8",
    });
  expect(run()).toBe(`preview --diff backend=${NO_ACCOUNT_BACKEND}\n`);
  login("s3://team-state");
  expect(run()).toBe("preview --diff backend=\n");
});

describe("the pinned CLI's download", () => {
  /** A PATH whose first `pulumi` is npm's wrapper (node_modules/.bin/pulumi → node_modules/pulumi/run.js). */
  function wrapperOnPath(): string {
    const modules = join(home, "project", "node_modules");
    mkdirSync(join(modules, "pulumi"), { recursive: true });
    mkdirSync(join(modules, ".bin"));
    writeFileSync(join(modules, "pulumi", "run.js"), "#!/usr/bin/env node\n");
    chmodSync(join(modules, "pulumi", "run.js"), 0o755);
    symlinkSync("../pulumi/run.js", join(modules, ".bin", "pulumi"));
    return join(modules, ".bin");
  }
  const offline = async (): Promise<string> => {
    throw new TypeError("fetch failed", { cause: { code: "ENOTFOUND" } });
  };

  it("says what it was downloading, from where, and the offline alternative when the download fails", async () => {
    const chosen = await choosePulumiCli({ PATH: wrapperOnPath(), PULUMI_HOME: home }, offline, "3.265.0");
    expect(chosen).toEqual({ problem: expect.any(String) });
    const { problem } = chosen as { problem: string };
    expect(problem).toContain(
      `the Pulumi CLI v3.265.0 (the version package.json pins) could not be downloaded from https://get.pulumi.com/install.sh into ${join(home, "versions", "3.265.0")} (fetch failed: ENOTFOUND)`,
    );
    expect(problem).toMatch(
      /install Pulumi yourself \(https:\/\/www\.pulumi\.com\/[^)]+\) so that `pulumi` is on PATH/,
    );
  });

  it("runs a pulumi installed further on PATH when the pinned one cannot be downloaded", async () => {
    const installed = join(home, "usr-bin");
    mkdirSync(installed);
    writeFileSync(join(installed, "pulumi"), "#!/bin/sh\n");
    chmodSync(join(installed, "pulumi"), 0o755);
    const chosen = await choosePulumiCli(
      { PATH: `${wrapperOnPath()}${delimiter}${installed}`, PULUMI_HOME: home },
      offline,
      "3.265.0",
    );
    expect(chosen).toEqual({
      bin: join(installed, "pulumi"),
      notice: expect.stringMatching(
        /could not be downloaded .*; running the pulumi installed on PATH instead: /,
      ),
    });
  });

  it("runs the pinned CLI once downloaded, its folder first on PATH for its language hosts", async () => {
    const path = wrapperOnPath();
    const bin = join(home, "versions", "3.265.0", "bin", "pulumi");
    expect(await choosePulumiCli({ PATH: path, PULUMI_HOME: home }, async () => bin, "3.265.0")).toEqual({
      bin,
      path: `${dirname(bin)}${delimiter}${path}`,
    });
  });
});
