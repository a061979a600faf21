/**
 * What a person should do about a Tinybird failure: the one place that turns an HTTP status and
 * Tinybird's error text into the likely fix, naming the stack setting to change.
 */

export interface FailureContext {
  host: string;
  /** The scope the admin token needs for the failed call, when one applies. */
  scope?: string;
}

/** Tinybird's way of saying a data source change needs a FORWARD_QUERY (the stand-in's and its server's wording). */
export function saysForwardQueryNeeded(detail: string): boolean {
  return /FORWARD_QUERY|forward query/i.test(detail);
}

/** Tinybird's way of saying "this operation exists only on Classic workspaces" (its Forward-only APIs answer so on Classic). */
export function saysClassicOnly(detail: string): boolean {
  return /classic workspace/i.test(detail) && !/only available for tinybird classic/i.test(detail);
}

/** What to do about a workspace that is not Forward: Tinybird's migration, or another workspace. */
export const MIGRATE_TO_FORWARD =
  "have the workspace migrated to Tinybird Forward (tb migrate-to-forward, or Tinybird support; " +
  "https://www.tinybird.co/docs/forward/guides/migrate-from-classic), then run pulumi up again: a stack first " +
  "deployed on Classic adopts the migrated workspace, keeping its data and its token values. Or point the " +
  "stack at a Forward workspace: pulumi config set tinybirdHost <host>; pulumi config set --secret " +
  "tinybirdAdminToken <token>";

/** The one message for a workspace that is not Forward. */
export const NOT_FORWARD =
  "This Tinybird workspace is not a Tinybird Forward workspace (it does not answer GET /v1/workspace). Tinybird " +
  "retired Classic (the migration's last grace period ended on 2026-10-16) and this stack deploys to Forward " +
  `only. Fix: ${MIGRATE_TO_FORWARD}`;

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
  if (saysClassicOnly(detail))
    return `this is a Tinybird Classic workspace, which Tinybird retired: ${MIGRATE_TO_FORWARD}`;
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
