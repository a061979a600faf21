/**
 * A deployed stack as its readers see it: the Pulumi project's name and the stack's outputs, written
 * once. infra/index.ts exports exactly these outputs, each secret where this says so (the program's
 * test holds it to them); every command that reads a deployed stack (`--stack <name>`) parses them here.
 */

/** The Pulumi project (Pulumi.yaml's `name`): the namespace of every setting, `clerk-tinybird:<key>`. */
export const PROJECT = "clerk-tinybird";

/** How an output's value reads as JSON (`pulumi stack output --json`). */
type OutputKind = "text" | "list" | "flag" | "variables";
type ValueOfKind<K extends OutputKind> = K extends "list"
  ? string[]
  : K extends "flag"
    ? boolean
    : K extends "variables"
      ? Record<string, string>
      : string;

interface OutputSpec<K extends OutputKind = OutputKind> {
  kind: K;
  /** Exported as a Pulumi secret: read only with `--show-secrets`. */
  secret: boolean;
}

const output = <K extends OutputKind>(kind: K, secret = false): OutputSpec<K> => ({ kind, secret });

/** Every output of the stack, and who reads it. */
export const STACK_OUTPUTS = {
  /** Where Clerk delivers; `npm run send -- --url`, the docs' commands. */
  webhookUrl: output("text"),
  /** The forwarder's log group (`aws logs tail`). */
  forwarderLogGroup: output("text"),
  /** The data source events land in. */
  dataSourceName: output("text"),
  /** The Svix endpoint's id, or `manual`: `npm run recover -- --stack`. */
  clerkEndpointId: output("text"),
  /** For signing test deliveries (`npm run send`). */
  webhookSigningSecret: output("text", true),
  /** For the analytics endpoints: `npm run dashboard -- --stack`. */
  tinybirdReadToken: output("text", true),
  /** What `npm run backfill -- --stack` needs to write rows exactly as the forwarder does. */
  tinybirdHost: output("text"),
  tinybirdAppendToken: output("text", true),
  redactPaths: output("list"),
  pseudonymizePersonalData: output("flag"),
  redactPrivateMetadata: output("flag"),
  pseudonymizationKey: output("text", true),
  /**
   * The variables the forwarder runs with (lambda/config.ts), no credential among them: the backfill
   * writes its rows with these, so every setting of the forwarder reaches it without being named here.
   */
  forwarderEnvironment: output("variables"),
} as const;

export type StackOutputName = keyof typeof STACK_OUTPUTS;

/** The outputs a stack has, typed; one it lacks (deployed by an older version) or of another shape is absent. */
export type StackOutputs = {
  [N in StackOutputName]?: ValueOfKind<(typeof STACK_OUTPUTS)[N]["kind"]>;
};

/** Reads `pulumi stack output --json`'s object by the contract above; empty text counts as absent. */
export function parseStackOutputs(json: Record<string, unknown>): StackOutputs {
  const outputs: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(STACK_OUTPUTS) as [StackOutputName, OutputSpec][]) {
    const value = json[name];
    if (isKind(spec.kind, value)) outputs[name] = value;
  }
  return outputs as StackOutputs;
}

function isKind(kind: OutputKind, value: unknown): boolean {
  switch (kind) {
    case "text":
      return typeof value === "string" && value !== "";
    case "flag":
      return typeof value === "boolean";
    case "list":
      return Array.isArray(value) && value.every((item) => typeof item === "string");
    case "variables":
      return (
        value !== null &&
        typeof value === "object" &&
        !Array.isArray(value) &&
        Object.values(value).every((item) => typeof item === "string")
      );
  }
}
