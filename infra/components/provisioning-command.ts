import * as path from "node:path";

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
