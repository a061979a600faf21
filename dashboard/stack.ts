/**
 * Where `npm run dashboard -- --stack <name>` finds a deployed stack's Tinybird host and read token:
 * the stack's `tinybirdHost` config and its `tinybirdReadToken` output (a Pulumi secret). One small
 * function, so it can later delegate to the project's shared stack-settings reader.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

export interface DashboardSettings {
  tinybirdHost: string;
  readToken: string;
}

const run = promisify(execFile);

export async function readDashboardSettings(stack: string): Promise<DashboardSettings> {
  const pulumi = async (args: string[]) => {
    try {
      return (await run("pulumi", [...args, "--stack", stack], { maxBuffer: 10_000_000 })).stdout;
    } catch (error) {
      // stderr names the cause (no stack, not logged in); it never holds the secret outputs.
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new Error(
        `pulumi ${args.slice(0, 3).join(" ")} --stack ${stack} failed: ${stderr || (error as Error).message}`,
      );
    }
  };
  const outputs = JSON.parse(await pulumi(["stack", "output", "--json", "--show-secrets"])) as Record<
    string,
    unknown
  >;
  const tinybirdHost = (await pulumi(["config", "get", "tinybirdHost"])).trim();
  const readToken = outputs.tinybirdReadToken;
  if (typeof readToken !== "string" || !readToken) {
    throw new Error(`stack ${stack} has no tinybirdReadToken output: run pulumi up on it first`);
  }
  return { tinybirdHost, readToken };
}
