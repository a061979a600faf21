import type { Row } from "./panels";

/**
 * A panel's rows from the page's own origin (the relay), or an error carrying the endpoint's own
 * message (a 400 names the parameter) so the view can show it in place.
 */
export async function fetchRows(url: string): Promise<Row[]> {
  const response = await fetch(url);
  const body = (await response.json().catch(() => ({}))) as { data?: Row[]; error?: string };
  if (!response.ok || !Array.isArray(body.data)) {
    throw new Error(body.error ?? `the endpoint answered ${response.status}`);
  }
  return body.data;
}
