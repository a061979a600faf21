import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { Contract, Variable, WrittenOf } from "../../command-kit/command-environment";

/** The project root: the provisioning scripts' paths, and tsx, are found from it. */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/**
 * How a component's `local.Command` runs this project's provisioning script: the same script for
 * create, update and delete (the operation is its argument). The strings hold no input at all: a
 * failing command's string is printed in full, so credentials go in `environment`.
 *
 * Nothing here names this checkout: the state keeps every input, and `pulumi destroy` runs the
 * stored `delete` from wherever the stack is destroyed (another folder, a teammate's clone, a CI
 * runner). So there is no `dir`: @pulumi/command then runs the command in its provider's working
 * directory, which Pulumi chooses (the project, or `main`'s folder); `npm run` finds the project
 * from either, runs the `provision` script (`node --import tsx`) at its root, and on Node 24.
 */
export function provisioningCommands(script: string): { create: string; update: string; delete: string } {
  return {
    create: provisioningCommand(script, "create"),
    update: provisioningCommand(script, "update"),
    delete: provisioningCommand(script, "delete"),
  };
}

/** One operation of a provisioning script, as a command string (also for a `local.run` invoke). */
export function provisioningCommand(script: string, operation: string): string {
  return `npm run --silent provision -- ${script} ${operation}`;
}

/**
 * A provisioning command's environment as its component sets it: each setting written into its
 * variable through the command's own contract (the reader's side of the same rows), one Output per
 * variable, so a secret setting stays secret on its own. A setting given as undefined is not set.
 */
export function commandEnvironment<C extends Contract>(
  contract: C,
  settings: { [K in keyof C]: pulumi.Input<WrittenOf<C[K]>> | undefined },
): Record<string, pulumi.Output<string>> {
  const environment: Record<string, pulumi.Output<string>> = {};
  for (const key of Object.keys(contract)) {
    const value = settings[key];
    if (value === undefined) continue;
    const v = contract[key] as unknown as Variable<unknown, unknown>;
    environment[v.name] = pulumi.output(value).apply((written) => v.write(written));
  }
  return environment;
}
