/**
 * Whether the admin token opens a Tinybird Forward workspace, told the way Tinybird's own CLI tells
 * it: `GET /v1/workspace` answers only on Forward (an empty `GET /v1/deployments` list proves
 * nothing). Anything else gets the one message naming Tinybird's migration.
 */
import { CommandError } from "../../../command-kit/command-shell";
import { NOT_FORWARD } from "./diagnosis";
import type { TinybirdApi } from "./tinybird-api";

export async function requireForward(api: TinybirdApi): Promise<void> {
  // 401 and an invalid-token 403 stay failures: they are about the token, not the workspace.
  const { status, body } = await api.request("GET", "/v1/workspace", {
    accept: [400, 404, 405],
    scope: "ADMIN",
  });
  const answered = status === 200 && typeof body === "object" && body !== null && !Array.isArray(body);
  if (!answered) throw new CommandError(NOT_FORWARD);
}
