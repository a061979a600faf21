/**
 * The provisioning commands' strings are stored in the stack's state and `pulumi destroy` runs the
 * stored `delete`: they must work from whatever folder @pulumi/command's provider runs in (the
 * project or `main`'s folder), in any clone, and name no checkout path.
 */
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { provisioningCommands } from "../../infra/components/provisioning-command";

const ROOT = resolve(__dirname, "..", "..");

function sh(command: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    // Only what a provider process is sure to have: PATH and HOME, no input at all.
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" };
    execFile("/bin/sh", ["-c", command], { cwd, env, timeout: 60_000 }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

it("runs the stored delete from the project root and from main's folder alike, naming no path", async () => {
  const { create, update, delete: remove } = provisioningCommands("infra/provisioning/tinybird/cli.ts");
  expect([create, update, remove].join(" ")).not.toContain(ROOT);
  const fromRoot = await sh(remove, ROOT);
  const fromInfra = await sh(remove, join(ROOT, "infra"));
  // The script itself ran (its own message on a missing input), not a shell's "not found".
  for (const run of [fromRoot, fromInfra]) {
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("TINYBIRD_HOST is not set");
  }
});
