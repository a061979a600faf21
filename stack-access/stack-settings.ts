/**
 * A deployed stack's settings for the commands run beside it (`--stack <name>`): its outputs and
 * config, read through the Pulumi CLI in node_modules, so an operator types nothing else. Values
 * stay in memory; no message quotes the CLI's stdout (it holds the stack's secrets).
 */
import { CommandError } from "../command-kit/command-shell";
import { forwarderEnvironment } from "../lambda/config";
import { PROJECT, parseStackOutputs, type StackOutputName, type StackOutputs } from "./outputs";
import { type PulumiCli, pulumiCli } from "./pulumi-cli";

export interface StackSettings {
  stack: string;
  /** Tinybird API host of the workspace, no trailing slash. */
  tinybirdHost: string;
  /** The clerk_read token the analytics endpoints take. */
  tinybirdReadToken: string;
  /** The data source's append token; absent on a stack deployed before it became an output. */
  tinybirdAppendToken?: string;
  /** Absent in manual mode (the endpoint was made in the Clerk dashboard). */
  clerkSecretKey?: string;
  /** The Svix endpoint id; "manual" in manual mode. */
  clerkEndpointId?: string;
  webhookUrl?: string;
  /** The variables the deployed forwarder runs with (lambda/config.ts): where it writes, and redacted how. */
  forwarderEnvironment: Record<string, string>;
  pseudonymizationKey?: string;
  /** The event types the endpoint subscribes to (config clerkEventTypes); empty means all. */
  clerkEventTypes: string[];
}

export async function readStackSettings(stack: string, cli: PulumiCli = pulumiCli): Promise<StackSettings> {
  const outputs = parseStackOutputs(
    await readJson(cli, ["stack", "output", "--json", "--show-secrets", "--stack", stack], stack),
  );
  const config = await readJson(cli, ["config", "--json", "--show-secrets", "--stack", stack], stack);
  const configValue = (key: string): string | undefined => {
    const entry = config[`${PROJECT}:${key}`] as { value?: unknown } | undefined;
    return typeof entry?.value === "string" && entry.value !== "" ? entry.value : undefined;
  };
  const required = <N extends StackOutputName>(name: N): NonNullable<StackOutputs[N]> => {
    const value = outputs[name];
    if (value === undefined) {
      throw new CommandError(
        `stack "${stack}" has no output ${name}: run \`pulumi up --stack ${stack}\` first (a stack deployed before this version lacks it)`,
      );
    }
    return value as NonNullable<StackOutputs[N]>;
  };

  const tinybirdHost = (
    outputs.tinybirdHost ??
    configValue("tinybirdHost") ??
    required("tinybirdHost")
  ).replace(/\/+$/, "");
  return {
    stack,
    tinybirdHost,
    tinybirdReadToken: required("tinybirdReadToken"),
    ...optional("tinybirdAppendToken", outputs.tinybirdAppendToken),
    ...optional("clerkSecretKey", configValue("clerkSecretKey")),
    ...optional("clerkEndpointId", outputs.clerkEndpointId),
    ...optional("webhookUrl", outputs.webhookUrl),
    forwarderEnvironment:
      outputs.forwarderEnvironment ??
      // A stack deployed before that output existed: the settings it had then, as its outputs tell them
      // (one deployed before redactPrivateMetadata existed redacts it).
      forwarderEnvironment({
        tinybirdHost,
        dataSource: required("dataSourceName"),
        redactPaths: outputs.redactPaths ?? [],
        pseudonymize: outputs.pseudonymizePersonalData === true,
        redactPrivateMetadata: outputs.redactPrivateMetadata !== false,
      }),
    ...optional("pseudonymizationKey", outputs.pseudonymizationKey),
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
    throw new CommandError(
      `\`pulumi ${args.slice(0, 2).join(" ")} --stack ${stack}\` failed (${(error as Error).message}): check the stack ` +
        "exists (`npx pulumi stack ls`), that this machine is logged in to its backend, and that " +
        "PULUMI_CONFIG_PASSPHRASE (or its secrets provider) is set",
      { cause: error },
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
  throw new CommandError(
    `\`pulumi ${args.slice(0, 2).join(" ")} --stack ${stack}\` did not print a JSON object: check the Pulumi CLI in node_modules (npm install)`,
  );
}
