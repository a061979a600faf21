/**
 * `npm run preview|up|destroy|stack`: the team's backend (PULUMI_BACKEND_URL, a stored
 * `pulumi login`) wins, and state on this machine (file://~) is the default only without either.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
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
