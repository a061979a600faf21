// INTERFACE PLACEHOLDER: the Tinybird provisioning issue replaces the body; the Args, the outputs and
// the command's stdout keys are the contract the stack composes against.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

export interface TinybirdDataSourceArgs {
  /** Tinybird API host of the workspace's region, e.g. `https://api.tinybird.co`. */
  host: pulumi.Input<string>;
  /** Workspace admin token (secret); used only by the provisioning command. */
  adminToken: pulumi.Input<string>;
  /** Data source name; defaults to the datafile's (`clerk_events`). */
  dataSourceName?: pulumi.Input<string>;
  /** `auto` detects Classic or Forward from the workspace's answers. */
  workspaceKind?: pulumi.Input<"auto" | "classic" | "forward">;
  /** Whether `pulumi destroy` deletes the data source and its rows. Default false: keep the data. */
  deleteDataOnDestroy?: pulumi.Input<boolean>;
  /** Forward only: let a deployment remove workspace resources this project does not declare. */
  allowDestructiveOperations?: pulumi.Input<boolean>;
}

/** What the provisioning command prints (one JSON line); the component parses it. */
export interface TinybirdProvisionResult {
  kind: "classic" | "forward";
  dataSource: string;
  appendToken: string;
  readToken: string;
}

export class TinybirdDataSource extends pulumi.ComponentResource {
  public readonly dataSourceName: pulumi.Output<string>;
  /** Scoped `DATASOURCES:APPEND` token for the forwarder (secret). */
  public readonly appendToken: pulumi.Output<string>;
  /** Read-only token for the analytics endpoints (secret). */
  public readonly readToken: pulumi.Output<string>;

  constructor(name: string, args: TinybirdDataSourceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clerk-tinybird:tinybird:TinybirdDataSource", name, {}, opts);
    const run = new command.local.Command(
      `${name}-provision`,
      {
        create: "echo placeholder",
        environment: { TINYBIRD_HOST: args.host, TINYBIRD_ADMIN_TOKEN: pulumi.secret(args.adminToken) },
        logging: "none",
      },
      { parent: this },
    );
    const result = pulumi.secret(run.stdout.apply((s) => JSON.parse(s) as TinybirdProvisionResult));
    this.dataSourceName = pulumi.unsecret(result.apply((r) => r.dataSource));
    this.appendToken = pulumi.secret(result.apply((r) => r.appendToken));
    this.readToken = pulumi.secret(result.apply((r) => r.readToken));
    this.registerOutputs({ dataSourceName: this.dataSourceName });
  }
}
