import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { hashDatafiles, loadProject } from "../../tinybird-model/project";
import {
  type ProvisionResult,
  readProvisionResult,
  TINYBIRD_COMMAND_ENVIRONMENT,
} from "../provisioning/tinybird/config";
import { previewCheck } from "../provisioning/tinybird/preview-check";
import { commandEnvironment, PROJECT_ROOT, provisioningCommands } from "./provisioning-command";

export interface TinybirdProjectArgs {
  /** Tinybird API host of the workspace's region, e.g. `https://api.tinybird.co`. */
  host: pulumi.Input<string>;
  /** Workspace admin token (secret); used only by the provisioning command. */
  adminToken: pulumi.Input<string>;
  /** The landing data source's name (the datafile's own is replaced by it). */
  dataSourceName: pulumi.Input<string>;
  /** Whether `pulumi destroy` deletes the data source and its rows. */
  deleteDataOnDestroy: pulumi.Input<boolean>;
  /** Let a deployment remove workspace resources `tinybird/` does not declare. */
  allowDestructiveOperations: pulumi.Input<boolean>;
  /** How long one `pulumi up` waits for a deployment before leaving it to Tinybird (the next run resumes). */
  deploymentWaitMinutes: pulumi.Input<number>;
  /** Folder holding `tinybird/` (the datafiles); default the project root. */
  projectDir?: string;
}

/** @pulumi/pulumi's exit code for a program that logged why it failed (cmd/run: nodeJSProcessExitedAfterLoggingUserActionableMessage). */
export const FAILED_AFTER_LOGGING = 32;

/** What the provisioning command prints (one JSON line); the component parses it. */
export type TinybirdProvisionResult = ProvisionResult;

/** Reads the command's result line; its text holds tokens, so a bad one is never quoted. */
export function parseProvisionResult(stdout: string): TinybirdProvisionResult {
  const result = readProvisionResult(stdout);
  if (!result?.appendToken) {
    throw new Error(
      "the Tinybird provisioning command printed no {dataSource, appendToken, readToken} result",
    );
  }
  return result;
}

/**
 * The stack's Tinybird Forward project (data sources, pipes, scoped tokens), deployed from
 * `tinybird/` by this project's own code. Only the scoped append and read tokens leave it; the admin
 * token stays in the command's environment. At preview, Tinybird itself checks the datafiles.
 */
export class TinybirdProject extends pulumi.ComponentResource {
  public readonly dataSourceName: pulumi.Output<string>;
  /** Scoped `DATASOURCES:APPEND` token for the forwarder (secret). */
  public readonly appendToken: pulumi.Output<string>;
  /** Read-only token for the analytics endpoints (secret); empty while there are no pipes. */
  public readonly readToken: pulumi.Output<string>;
  /** At preview only: Tinybird's verdict on the datafiles, once asked (its errors fail the preview). */
  public readonly tinybirdCheck: pulumi.Output<string> | undefined;

  constructor(name: string, args: TinybirdProjectArgs, opts?: pulumi.ComponentResourceOptions) {
    // Named TinybirdDataSource until it also provisioned pipes and tokens. The alias keeps the URNs of
    // stacks deployed then, and of its command: without it, `pulumi up` would replace the command and
    // its delete would revoke the tokens the forwarder is using.
    super(
      "clerk-tinybird:tinybird:TinybirdProject",
      name,
      {},
      {
        ...opts,
        aliases: [...(opts?.aliases ?? []), { type: "clerk-tinybird:tinybird:TinybirdDataSource" }],
      },
    );
    const dir = args.projectDir ?? PROJECT_ROOT;
    // Reading the datafiles here fails `pulumi preview` on a datafile the provisioning could not deploy.
    loadProject(dir);
    const dataSource = pulumi.output(args.dataSourceName);
    const host = pulumi.output(args.host).apply((h) => h.trim().replace(/\/+$/, ""));

    const run = new command.local.Command(
      `${name}-provision`,
      {
        // The command's code and tsx are in this project; datafiles elsewhere are named below.
        ...provisioningCommands("infra/provisioning/tinybird/cli.ts"),
        // Credentials only here: a failing command's string is printed in full.
        environment: commandEnvironment(TINYBIRD_COMMAND_ENVIRONMENT, {
          host,
          adminToken: pulumi.secret(args.adminToken),
          dataSourceName: dataSource,
          deleteDataOnDestroy: args.deleteDataOnDestroy,
          allowDestructiveOperations: args.allowDestructiveOperations,
          deploymentWaitMinutes: args.deploymentWaitMinutes,
          datafilesSha256: hashDatafiles(dir),
          projectDir: args.projectDir,
        }),
        // Another workspace or another data source name is another resource: create it, then
        // `delete` the old one (with its stored environment and stdout: revoke its tokens, and drop
        // its data only if deleteDataOnDestroy was set). Anything else updates in place, so a replace
        // never revokes the tokens the forwarder is using.
        triggers: [host, dataSource],
        // stderr carries the progress of a long deployment (status, elapsed time) into pulumi up's
        // output; stdout carries the tokens and is never logged.
        logging: "stderr",
      },
      { parent: this, additionalSecretOutputs: ["stdout"] },
    );

    const result = pulumi.secret(run.stdout.apply(parseProvisionResult));
    this.dataSourceName = pulumi.unsecret(result.apply((r) => r.dataSource));
    this.appendToken = pulumi.secret(result.apply((r) => r.appendToken));
    this.readToken = pulumi.secret(result.apply((r) => r.readToken));
    // @pulumi/command runs nothing at preview: the program asks Tinybird itself, read-only.
    this.tinybirdCheck = pulumi.runtime.isDryRun()
      ? pulumi
          .all([host, args.adminToken, dataSource, args.allowDestructiveOperations])
          .apply(([h, token, name, allow]) =>
            previewCheck(
              {
                host: h,
                adminToken: token,
                root: dir,
                dataSourceName: name,
                allowDestructiveOperations: allow,
              },
              {
                info: (m) => pulumi.log.info(m, this),
                warn: (m) => pulumi.log.warn(m, this),
                // An error log alone does not fail a Pulumi program (pulumi/pulumi#6090); exit code 32
                // is Pulumi's own "failed after logging the reason", which the language host
                // reports as a failed preview without adding a message of its own.
                error: (m) => {
                  void pulumi.log.error(m, this);
                  process.exitCode = FAILED_AFTER_LOGGING;
                },
              },
            ),
          )
      : undefined;
    this.registerOutputs({
      dataSourceName: this.dataSourceName,
      appendToken: this.appendToken,
      readToken: this.readToken,
      // Registered so the preview waits for Tinybird's answer.
      ...(this.tinybirdCheck ? { tinybirdCheck: pulumi.unsecret(this.tinybirdCheck) } : {}),
    });
  }
}
