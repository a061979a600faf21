/** The program with a broken configuration: it must stop before declaring anything, saying what to fix. */
import { describe, expect, it } from "vitest";
import { installStackMocks, runProgram } from "./harness";

const { resources } = installStackMocks({
  config: {
    "aws:region": "eu-west-1",
    tinybirdHost: "https://api.tinybird.co",
    tinybirdAdminToken: "p.admin-token-in-plain-text",
    logRetentionDays: "10",
  },
  // The admin token was set without --secret.
  secretConfig: [],
});

describe("a stack with configuration problems", () => {
  it("fails at start-up listing every problem with its fix, declaring no resource and echoing no credential", async () => {
    const failure = await runProgram().then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure?.message).toMatch(/^Stack 'dev' has 3 configuration problems:/);
    const lines = failure!.message.split("\n").slice(1);
    expect(lines).toEqual([
      expect.stringMatching(
        /^ {2}- clerk-tinybird:tinybirdAdminToken is stored in plain text .*--secret tinybirdAdminToken/,
      ),
      expect.stringMatching(
        /^ {2}- clerk-tinybird:clerkSecretKey is missing: pulumi config set --secret clerkSecretKey/,
      ),
      expect.stringMatching(
        /^ {2}- clerk-tinybird:logRetentionDays is "10": .*pulumi config set logRetentionDays <number>, or pulumi config rm logRetentionDays/,
      ),
    ]);
    expect(failure!.message).not.toContain("p.admin-token-in-plain-text");
    expect(resources).toEqual([]);
  });
});
