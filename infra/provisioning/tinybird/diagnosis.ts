/**
 * What a person should do about a Tinybird failure: the one place that turns an HTTP status and
 * Tinybird's error text into the likely fix, naming the stack setting to change.
 */

export interface FailureContext {
  host: string;
  /** The scope the admin token needs for the failed call, when one applies. */
  scope?: string;
}

/** Tinybird's way of saying "this workspace is Forward: change it through deployments". */
export function saysForwardOnly(detail: string): boolean {
  return /via deployments|through deployments|tinybird forward workspace|forward workspace/i.test(detail);
}

/** …and "this operation exists only on Forward workspaces". */
export function saysClassicOnly(detail: string): boolean {
  return /classic workspace/i.test(detail) && !/only available for tinybird classic/i.test(detail);
}

const HOST_HINT =
  "a token only works on its own region's API host, e.g. https://api.tinybird.co or " +
  "https://api.eu-central-1.aws.tinybird.co (pulumi config set tinybirdHost <host>)";

export function likelyFix(status: number, detail: string, context: FailureContext): string {
  if (status === 401 || (status === 403 && /invalid (auth|token)|token.*(not valid|invalid)/i.test(detail))) {
    return (
      `the admin token was refused by ${context.host}: set the workspace's admin token ` +
      `(pulumi config set --secret tinybirdAdminToken <token>), and check tinybirdHost — ${HOST_HINT}`
    );
  }
  if (status === 403 && saysForwardOnly(detail)) {
    return 'this is a Tinybird Forward workspace, changed only by deployments: set tinybirdWorkspaceKind to "forward" (or "auto")';
  }
  if (status === 403 && saysClassicOnly(detail)) {
    return 'this is a Tinybird Classic workspace: set tinybirdWorkspaceKind to "classic" (or "auto")';
  }
  if (status === 403) {
    return (
      `the admin token lacks the scope for this call${context.scope ? ` (${context.scope})` : ""}: ` +
      "use the workspace admin token (Tinybird → Tokens → the workspace's admin token)"
    );
  }
  if (status === 404)
    return `nothing answers this path on ${context.host}: check tinybirdHost — ${HOST_HINT}`;
  if (status === 429)
    return "Tinybird kept rate-limiting this workspace through every retry: wait a minute and run `pulumi up` again";
  if (status >= 500)
    return "Tinybird failed or was unavailable through every retry: check https://status.tinybird.co and run `pulumi up` again";
  if (status === 409)
    return "the workspace holds something in the way under that name: remove or rename it in Tinybird, then run `pulumi up` again";
  return "Tinybird refused what the datafiles ask for: correct the file in tinybird/ that its message points at";
}
