/** A Pulumi CLI stand-in for `stack output --json` and `config --json`: canned JSON, calls recorded. */
import type { PulumiCli } from "../../stack-access/pulumi-cli";

export interface FakePulumiAnswers {
  outputs?: Record<string, unknown>;
  config?: Record<string, { value: string; secret?: boolean }>;
}

export const DEPLOYED_OUTPUTS = {
  tinybirdReadToken: "p.read-token",
  dataSourceName: "clerk_events",
  tinybirdHost: "https://api.tinybird.co",
};

export function fakePulumi(answers: FakePulumiAnswers): PulumiCli & { calls: string[][] } {
  const calls: string[][] = [];
  const cli = async (args: string[]) => {
    calls.push(args);
    if (args[0] === "stack" && args[1] === "output")
      return JSON.stringify({ ...DEPLOYED_OUTPUTS, ...answers.outputs });
    if (args[0] === "config") return JSON.stringify(answers.config ?? {});
    throw new Error(`unexpected pulumi ${args.join(" ")}`);
  };
  return Object.assign(cli, { calls });
}
