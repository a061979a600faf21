/**
 * Which kind of workspace the admin token opens, told the way Tinybird's own CLI tells it:
 * `GET /v1/workspace` answers only on Forward. Not from `GET /v1/deployments`: an empty list proves
 * nothing. Anything else goes the Classic way, whose creation calls then reveal a Forward workspace
 * by refusing with "…via deployments" (handled by the caller).
 */
import type { WorkspaceKind } from "./config";
import type { Deployment } from "./forward";
import type { TinybirdApi } from "./tinybird-api";

export interface Detected {
  kind: WorkspaceKind;
  /** Deployments listed while detecting, reused by the Forward run (none since /v1/workspace). */
  deployments?: Deployment[];
}

export async function detectKind(api: TinybirdApi, configured: "auto" | WorkspaceKind): Promise<Detected> {
  if (configured !== "auto") return { kind: configured };
  const { status, body } = await api.request("GET", "/v1/workspace", {
    accept: [400, 403, 404, 405],
    scope: "ADMIN",
  });
  const answered = status === 200 && typeof body === "object" && body !== null && !Array.isArray(body);
  return { kind: answered ? "forward" : "classic" };
}
