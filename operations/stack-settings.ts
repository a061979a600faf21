/**
 * A deployed stack's settings for the commands run beside it (`--stack <name>`): its outputs and
 * config, read through the Pulumi CLI in node_modules, so an operator types nothing else. Values
 * stay in memory; no message quotes the CLI's stdout (it holds the stack's secrets).
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { PROJECT } from "../infra/config";
import { pulumiEnvironment } from "../infra/run-pulumi";

export interface StackSettings {
  stack: string;
  /** Tinybird API host of the workspace, no trailing slash. */
  tinybirdHost: string;
  /** The clerk_read token the analytics endpoints take. */
  tinybirdReadToken: string;
  /** The data source's append token; absent on a stack deployed before it became an output. */
  tinybirdAppendToken?: string;
  dataSource: string;
  /** Absent in manual mode (the endpoint was made in the Clerk dashboard). */
  clerkSecretKey?: string;
  /** The Svix endpoint id; "manual" in manual mode. */
  clerkEndpointId?: string;
  webhookUrl?: string;
  /** What the deployed forwarder redacts and pseudonymises (see lambda/config.ts). */
  redactPaths: string[];
  pseudonymizePersonalData: boolean;
  /** True unless the stack turned it off; a stack deployed before the setting existed redacts it. */
  redactPrivateMetadata: boolean;
  pseudonymizationKey?: string;
  /** The event types the endpoint subscribes to (config clerkEventTypes); empty means all. */
  clerkEventTypes: string[];
}

/** Runs the Pulumi CLI with `args`; resolves its stdout or rejects with its stderr. */
export type PulumiCli = (args: string[]) => Promise<string>;

/** The project's root, where Pulumi.yaml is. */
export const PROJECT_ROOT = resolve(__dirname, "..");

export class StackSettingsError extends Error {
  override name = "StackSettingsError";
}

const PULUMI_BIN = resolve(PROJECT_ROOT, "node_modules", ".bin", "pulumi");

export const pulumiCli: PulumiCli = (args) =>
  new Promise((resolvePromise, reject) => {
    execFile(
      PULUMI_BIN,
      [...args, "--non-interactive"],
      // The backend `npm run up` chose (a login, PULUMI_BACKEND_URL, or the no-account default).
      { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024, env: pulumiEnvironment(process.env) },
      (error, stdout, stderr) => {
        if (error) reject(new Error((stderr || error.message).trim().replace(/\s+/g, " ").slice(0, 400)));
        else resolvePromise(stdout);
      },
    );
  });

export async function readStackSettings(stack: string, cli: PulumiCli = pulumiCli): Promise<StackSettings> {
  const outputs = await readJson(
    cli,
    ["stack", "output", "--json", "--show-secrets", "--stack", stack],
    stack,
  );
  const config = await readJson(cli, ["config", "--json", "--show-secrets", "--stack", stack], stack);
  const configValue = (key: string): string | undefined => {
    const entry = config[`${PROJECT}:${key}`] as { value?: unknown } | undefined;
    return typeof entry?.value === "string" && entry.value !== "" ? entry.value : undefined;
  };
  const text = (key: string): string | undefined =>
    typeof outputs[key] === "string" && outputs[key] !== "" ? (outputs[key] as string) : undefined;
  const required = (key: string): string => {
    const value = text(key);
    if (value === undefined) {
      throw new StackSettingsError(
        `stack "${stack}" has no output ${key}: run \`pulumi up --stack ${stack}\` first (a stack deployed before this version lacks it)`,
      );
    }
    return value;
  };

  const redactPaths = outputs.redactPaths;
  return {
    stack,
    tinybirdHost: (text("tinybirdHost") ?? configValue("tinybirdHost") ?? required("tinybirdHost")).replace(
      /\/+$/,
      "",
    ),
    tinybirdReadToken: required("tinybirdReadToken"),
    ...optional("tinybirdAppendToken", text("tinybirdAppendToken")),
    dataSource: required("dataSourceName"),
    ...optional("clerkSecretKey", configValue("clerkSecretKey")),
    ...optional("clerkEndpointId", text("clerkEndpointId")),
    ...optional("webhookUrl", text("webhookUrl")),
    redactPaths: Array.isArray(redactPaths)
      ? redactPaths.filter((p): p is string => typeof p === "string")
      : [],
    pseudonymizePersonalData: outputs.pseudonymizePersonalData === true,
    redactPrivateMetadata: outputs.redactPrivateMetadata !== false,
    ...optional("pseudonymizationKey", text("pseudonymizationKey")),
    clerkEventTypes: listConfig(config[`${PROJECT}:clerkEventTypes`]),
  };
}

/** A list setting as `pulumi config --json` prints it: `objectValue`, or `value` holding JSON. */
function listConfig(entry: unknown): string[] {
  const { value, objectValue } = (entry ?? {}) as { value?: unknown; objectValue?: unknown };
  let list = objectValue;
  if (!Array.isArray(list) && typeof value === "string") {
    try {
      list = JSON.parse(value);
    } catch {
      list = undefined;
    }
  }
  return Array.isArray(list) ? list.filter((t): t is string => typeof t === "string" && t !== "") : [];
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

async function readJson(cli: PulumiCli, args: string[], stack: string): Promise<Record<string, unknown>> {
  let stdout: string;
  try {
    stdout = await cli(args);
  } catch (error) {
    throw new StackSettingsError(
      `\`pulumi ${args.slice(0, 2).join(" ")} --stack ${stack}\` failed (${(error as Error).message}): check the stack ` +
        "exists (`npx pulumi stack ls`), that this machine is logged in to its backend, and that " +
        "PULUMI_CONFIG_PASSPHRASE (or its secrets provider) is set",
    );
  }
  try {
    const parsed = JSON.parse(stdout) as unknown;
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // Reported below without quoting the text: it holds the stack's secrets.
  }
  throw new StackSettingsError(
    `\`pulumi ${args.slice(0, 2).join(" ")} --stack ${stack}\` did not print a JSON object: check the Pulumi CLI in node_modules (npm install)`,
  );
}
