/**
 * What Tinybird's Events API requires of a request, for the stand-ins that play it: POST /v0/events,
 * the data source in `name`, `wait=true`, the token in the Authorization header and never in the URL,
 * an NDJSON body. Returns the rows, and what is wrong (empty when the request is as it must be).
 */
import type { RecordedRequest } from "./http-stub";

export function readEventsRequest(
  req: RecordedRequest,
  expected: { token: string; dataSource: string },
): { rows: Record<string, unknown>[]; problems: string[] } {
  const problems: string[] = [];
  if (req.method !== "POST" || req.path !== "/v0/events") problems.push(`${req.method} ${req.path}`);
  if (req.headers.authorization !== `Bearer ${expected.token}`) problems.push("authorization");
  if (req.query.get("name") !== expected.dataSource) problems.push("name");
  if (req.query.get("wait") !== "true") problems.push("wait");
  if (req.query.has("token")) problems.push("token in the URL");
  let rows: Record<string, unknown>[] = [];
  try {
    rows = req.text
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  } catch {
    problems.push("body is not NDJSON");
  }
  return { rows, problems };
}
