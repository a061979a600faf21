/**
 * What `pulumi preview` asks Tinybird: to validate the exact datafiles the next `pulumi up` would
 * deploy (`POST /v1/deploy?check=true`, as `tb deploy --check`), read-only. The program runs this
 * itself during a dry run, since @pulumi/command runs nothing at preview; Tinybird's errors fail the
 * preview, its warnings and the changes it would make are shown. The local parsing of the datafiles
 * (the component's constructor) stays the fast first check.
 */
import { isTransient, scrubSecrets } from "../../../command-kit/command-shell";
import { loadProject } from "../../../tinybird-model/project";
import { deploymentsIn } from "./deployments";
import { checkForward } from "./forward";
import { TinybirdApi } from "./tinybird-api";
import { requireForward } from "./workspace";

export interface PreviewCheckInput {
  host: string;
  adminToken: string;
  /** The folder holding `tinybird/`. */
  root: string;
  dataSourceName: string;
  allowDestructiveOperations: boolean;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/** Where the verdict goes: Pulumi's diagnostics in the program; `error` also fails the preview. */
export interface PreviewReport {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Checks, reports, and resolves to a one-line verdict ("" when Tinybird could not be asked or refused). */
export async function previewCheck(input: PreviewCheckInput, report: PreviewReport): Promise<string> {
  const scrub = (text: string) => scrubSecrets(text, [input.adminToken]);
  const api = new TinybirdApi({
    host: input.host,
    token: input.adminToken,
    attempts: 2,
    ...(input.fetch ? { fetch: input.fetch } : {}),
    ...(input.sleep ? { sleep: input.sleep } : {}),
  });
  try {
    await requireForward(api);
    const project = loadProject(input.root, { dataSourceName: input.dataSourceName });
    const pending = deploymentsIn(
      (await api.request("GET", "/v1/deployments", { scope: "ADMIN" })).body,
    ).filter((d) => d.live !== true && d.status !== "live" && d.status !== "deleted");
    for (const d of pending) {
      report.info(
        `Tinybird deployment ${d.id} is ${d.status} in the workspace: pulumi up waits for it (promoting it, or ` +
          "discarding it if it failed) before deploying, and Tinybird's answer below compares with the live deployment",
      );
    }
    const check = await checkForward(api, project, input.allowDestructiveOperations);
    for (const warning of check.warnings) report.warn(scrub(`Tinybird's check warns: ${warning}`));
    if (check.foreign.length > 0 && !input.allowDestructiveOperations) {
      report.warn(
        `Tinybird's check: the deployment would remove ${check.foreign.join(", ")}, which tinybird/ does not declare; ` +
          "pulumi up will refuse unless tinybirdAllowDestructiveOperations is true (docs/tinybird.md)",
      );
    }
    const verdict =
      check.result === "no_changes"
        ? "Tinybird's check: the workspace already runs these datafiles, nothing to deploy"
        : `Tinybird's check passed${check.changes.length > 0 ? `: ${check.changes.join("; ")}` : ""}`;
    report.info(scrub(verdict));
    return verdict;
  } catch (error) {
    const message = scrub(error instanceof Error ? error.message : String(error));
    if (isTransient(error)) {
      report.warn(
        `could not ask Tinybird to check the datafiles (${message}); pulumi up checks them again before deploying`,
      );
      return "";
    }
    report.error(message);
    return "";
  }
}
