import * as pulumi from "@pulumi/pulumi";

/** A resource the program registered, as the mocks saw it. */
export interface RecordedResource {
  type: string;
  name: string;
  /** Inputs with secrets unwrapped; see `secretInputs` for which were secret. */
  inputs: Record<string, any>;
  /** Top-level input keys that arrived as Pulumi secrets. */
  secretInputs: string[];
  id: string;
  parent?: string;
}

export interface MockOptions {
  project?: string;
  stack?: string;
  preview?: boolean;
  /** Config as `key: value` for the project namespace (`clerk-tinybird:key`) or fully qualified keys. */
  config?: Record<string, string>;
  /** Config keys (as given in `config`) that the stack holds as secrets. */
  secretConfig?: string[];
  /** Extra state a resource type reports back (e.g. an API's `apiEndpoint`). */
  state?: (r: { type: string; name: string; inputs: Record<string, any> }) => Record<string, any>;
  /** Answers to invokes (e.g. `command:local:run`), given their inputs with secrets unwrapped. */
  call?: (token: string, inputs: Record<string, any>) => Record<string, any>;
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VAL = "1b47061264138c4ac30d75fd1eb44270";

function unwrapSecrets(value: unknown): { value: any; secret: boolean } {
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG] === SECRET_VAL) return { value: unwrapSecrets(obj.value).value, secret: true };
    if (Array.isArray(value)) {
      const items = value.map(unwrapSecrets);
      return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
    }
    let secret = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      const u = unwrapSecrets(v);
      out[k] = u.value;
      secret ||= u.secret;
    }
    return { value: out, secret };
  }
  return { value, secret: false };
}

/**
 * Installs Pulumi's in-process mocks and records every resource registration.
 * Call before importing or constructing the program. Test files may share a process
 * (vitest.config.mts): each installs its own, replacing the mocks, config and stack of the last.
 */
export function installMocks(options: MockOptions = {}): { resources: RecordedResource[] } {
  const project = options.project ?? "clerk-tinybird";
  const stack = options.stack ?? "dev";
  const resources: RecordedResource[] = [];

  const qualify = (key: string) => (key.includes(":") ? key : `${project}:${key}`);
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.config ?? {})) config[qualify(k)] = v;
  pulumi.runtime.setAllConfig(config, (options.secretConfig ?? []).map(qualify));

  pulumi.runtime.setMocks(
    {
      newResource(args) {
        const secretInputs: string[] = [];
        const inputs: Record<string, any> = {};
        for (const [k, v] of Object.entries(args.inputs ?? {})) {
          const u = unwrapSecrets(v);
          inputs[k] = u.value;
          if (u.secret) secretInputs.push(k);
        }
        const id = `${args.name}-id`;
        resources.push({ type: args.type, name: args.name, inputs, secretInputs, id });
        const extra = options.state?.({ type: args.type, name: args.name, inputs }) ?? {};
        return {
          id,
          state: {
            ...args.inputs,
            arn: `arn:aws:mock:::${args.type}/${args.name}`,
            name: args.inputs.name ?? args.name,
            ...extra,
          },
        };
      },
      call(args) {
        if (options.call) return options.call(args.token, unwrapSecrets(args.inputs ?? {}).value);
        throw new Error(`unexpected call to ${args.token}`);
      },
    },
    project,
    stack,
    options.preview ?? false,
  );
  return { resources };
}

/** Resolves an Output's value (test-only; never used in the program). */
export function unwrap<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
  return new Promise<T>((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}

/** Whether an Output is marked secret. */
export function isSecret(output: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(output);
}

/** Finds exactly one recorded resource of `type` (optionally by name); throws otherwise. */
export function only(resources: RecordedResource[], type: string, name?: string): RecordedResource {
  const found = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
  if (found.length !== 1) {
    throw new Error(
      `expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${resources
        .map((r) => `${r.type}/${r.name}`)
        .join(", ")}`,
    );
  }
  return found[0]!;
}
