/**
 * Which kind of workspace the admin token opens. Forward workspaces answer the deployments API
 * (`GET /v1/deployments` → `{deployments: [...]}`); Classic ones do not. Anything ambiguous goes
 * the Classic way, whose creation calls then reveal a Forward workspace by refusing with
 * "…via deployments" (handled by the caller).
 */
import type { WorkspaceKind } from "./config";
import { type Deployment, deploymentsIn } from "./forward";
import type { TinybirdApi } from "./tinybird-api";

export interface Detected {
  kind: WorkspaceKind;
  /** The deployments listed while detecting, reused by the Forward run. */
  deployments?: Deployment[];
}

export async function detectKind(api: TinybirdApi, configured: "auto" | WorkspaceKind): Promise<Detected> {
  if (configured !== "auto") return { kind: configured };
  const { status, body } = await api.request("GET", "/v1/deployments", {
    accept: [400, 403, 404, 405],
    scope: "ADMIN",
  });
  const deployments = status === 200 ? deploymentsIn(body) : undefined;
  return deployments ? { kind: "forward", deployments } : { kind: "classic" };
}
