import * as path from "node:path";

/** The project root: the provisioning scripts' paths, and tsx, are found from it. */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/**
 * How a component's `local.Command` runs this project's provisioning script: the same script for
 * create, update and delete (the operation is its argument), from the project root. The strings hold
 * no input at all: a failing command's string is printed in full, so credentials go in `environment`.
 */
export function provisioningCommands(script: string): {
  create: string;
  update: string;
  delete: string;
  dir: string;
} {
  const run = `node --import tsx ${script}`;
  return { create: `${run} create`, update: `${run} update`, delete: `${run} delete`, dir: PROJECT_ROOT };
}
