import { afterEach, describe, expect, it } from "vitest";
import { runCommand } from "../../command-kit/command-runner";
import { recoverCommand } from "../../operations/recover/cli";
import {
  CLERK_KEY,
  type ClerkSvixFake,
  deployedEndpoint,
  startClerkSvixFake,
} from "../support/clerk-svix-fake";
import { fakePulumi } from "./fake-pulumi";

let fake: ClerkSvixFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const NOW = Date.parse("2026-01-20T12:00:00Z");

async function withEndpoint(): Promise<ClerkSvixFake> {
  fake = await startClerkSvixFake({ appExists: true, now: () => NOW });
  fake.endpoints.set("ep_1", deployedEndpoint());
  return fake;
}

const envFor = (f: ClerkSvixFake, endpoint: string): NodeJS.ProcessEnv => ({
  CLERK_SECRET_KEY: CLERK_KEY,
  CLERK_API_URL: f.clerk.url,
  SVIX_SERVER_URL: f.svix.url,
  CLERK_ENDPOINT_ID: endpoint,
});

async function run(argv: string[], env: NodeJS.ProcessEnv, pulumi = fakePulumi({})) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCommand(
    recoverCommand({ pulumi, now: () => NOW, policy: { sleep: async () => {} } }),
    argv,
    env,
    { stdout: (l) => stdout.push(l), stderr: (l) => stderr.push(l), exit: () => {} },
  );
  return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
}

describe("npm run recover", () => {
  it("asks Svix to resend the endpoint's failed messages and send its never-attempted ones in the range, through Clerk's login link, and logs the token out", async () => {
    const f = await withEndpoint();
    const env = envFor(f, "ep_1");
    const { code, stdout, stderr } = await run(
      ["--since", "2026-01-18T00:00:00Z", "--until", "2026-01-19T06:30:00Z"],
      env,
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(f.recoveries).toEqual([
      { endpoint: "ep_1", since: "2026-01-18T00:00:00.000Z", until: "2026-01-19T06:30:00.000Z" },
    ]);
    expect(stdout).toMatch(
      /Svix is resending the failed messages of endpoint ep_1 \(app app_2fakeSvixApp\) from 2026-01-18T00:00:00.000Z to 2026-01-19T06:30:00.000Z: background task qtask_\w+, running/,
    );
    expect(f.log.replays).toEqual(f.recoveries);
    expect(stdout).toMatch(
      /Svix is sending the messages endpoint ep_1 never attempted .* from 2026-01-18T00:00:00.000Z to 2026-01-19T06:30:00.000Z: background task qtask_\w+, running/,
    );
    expect(stdout).toContain("Message Attempts");
    expect(f.apiTokens.size).toBe(0);
    expect(`${stdout}${stderr}`).not.toContain(CLERK_KEY);
  });

  it("takes the Clerk key and endpoint from the deployed stack with --stack", async () => {
    const f = await withEndpoint();
    const pulumi = fakePulumi({
      outputs: { clerkEndpointId: "ep_1" },
      config: { "clerk-tinybird:clerkSecretKey": { value: CLERK_KEY, secret: true } },
    });
    const { code } = await run(
      ["--stack", "prod", "--since", "2026-01-18T00:00:00Z"],
      { CLERK_API_URL: f.clerk.url, SVIX_SERVER_URL: f.svix.url },
      pulumi,
    );
    expect(code).toBe(0);
    expect(f.recoveries).toEqual([{ endpoint: "ep_1", since: "2026-01-18T00:00:00.000Z" }]);
    expect(pulumi.calls.map((c) => c.slice(0, 2).join(" "))).toEqual(["stack output", "config --json"]);
    expect(pulumi.calls.every((c) => c.includes("--stack") && c.includes("prod"))).toBe(true);
  });

  it("prints the Clerk dashboard steps for a stack in manual mode, calling nobody", async () => {
    const pulumi = fakePulumi({ outputs: { clerkEndpointId: "manual" } });
    const { code, stdout } = await run(["--stack", "prod", "--since", "2026-01-18T00:00:00Z"], {}, pulumi);
    expect(code).toBe(0);
    expect(stdout).toContain("Clerk dashboard → Webhooks");
    expect(stdout).toContain("Recover failed messages");
    expect(stdout).toContain("2026-01-18T00:00:00.000Z");
  });

  it("refuses a missing, unreadable, future or inverted range before calling anyone", async () => {
    expect((await run([], {})).stderr).toContain("--since is required");
    expect((await run(["--since", "yesterday"], {})).stderr).toContain('--since "yesterday" is not a time');
    expect((await run(["--since", "2026-02-01T00:00:00Z"], {})).stderr).toContain("--since is in the future");
    expect((await run(["--since", "2026-01-01T00:00:00Z"], {})).stderr).toContain(
      "--since is more than 14 days ago, past what Svix recovers: for older failed messages run npm run reconcile -- --since 2026-01-01T00:00:00.000Z --repair",
    );
    const inverted = await run(["--since", "2026-01-19T00:00:00Z", "--until", "2026-01-18T00:00:00Z"], {});
    expect(inverted.code).toBe(1);
    expect(inverted.stderr).toContain("--since must be before --until");
  });

  it("still reports the recover when Svix refuses the replay, and exits 1 naming the refusal", async () => {
    const f = await withEndpoint();
    f.fault("svix", "POST", /\/replay-missing$/, {
      status: 403,
      body: { code: "forbidden", detail: "Insufficient access" },
    });
    const { code, stdout, stderr } = await run(["--since", "2026-01-18T00:00:00Z"], envFor(f, "ep_1"));
    expect(code).toBe(1);
    expect(f.recoveries).toHaveLength(1);
    expect(stdout).toMatch(/Svix is resending the failed messages of endpoint ep_1/);
    expect(stderr).toMatch(/Replaying the never-attempted messages failed: Svix answered 403 forbidden/);
  });

  it("says what to fix when Svix does not know the endpoint", async () => {
    const f = await withEndpoint();
    const env = envFor(f, "ep_gone");
    const { code, stderr } = await run(["--since", "2026-01-18T00:00:00Z"], env);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /The recovery failed: Svix answered 404 not_found .*recover the failed messages of endpoint ep_gone/,
    );
    expect(f.recoveries).toEqual([]);
  });
});
