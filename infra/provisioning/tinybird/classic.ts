/**
 * Classic workspaces: the data source, the pipes and two scoped tokens through the REST APIs
 * (Data Sources, Pipes, Tokens). Every step converges, so create and update are the same run:
 * what exists and matches is adopted, what differs is reported, never dropped.
 *
 * The Classic API as relied on here (Tinybird's docs and its server's handlers): data sources are
 * described by `GET /v0/datasources/<name>` (404 when missing) and created by a form POST, which
 * answers 400 "already exists" for a taken name; tokens are read by name with their value
 * (`GET /v0/tokens/<name>` → `{name, scopes: [{type, resource}], token}`), created by a form POST
 * (`name`, `description`, `scope` repeated), given new scopes by PUT (the scopes sent replace the
 * old ones, the value stays) and revoked by DELETE; pipes are deleted with `DELETE /v0/pipes/<name>`.
 */
import { ProvisioningError } from "../command-shell";
import { dataSourceCreateParams, pipeCreateBody } from "./classic-params";
import type { ProvisionResult } from "./config";
import type { DataSourceDefinition } from "./datasource-file";
import type { TinybirdProject } from "./project";
import { diffSchema, type RemoteDataSource } from "./schema-diff";
import { type TinybirdApi, TinybirdHttpError } from "./tinybird-api";

/** Token names are derived from the data source, so stacks sharing a workspace keep theirs apart. */
export const classicTokenNames = (dataSource: string) => ({
  append: `${dataSource}_append`,
  read: `${dataSource}_read`,
});

const enc = encodeURIComponent;
const alreadyExists = (error: unknown) =>
  error instanceof TinybirdHttpError &&
  (error.status === 400 || error.status === 409) &&
  /already exists/i.test(error.detail);

function adopt(ds: DataSourceDefinition, remote: unknown): void {
  const differences = diffSchema(ds, (remote ?? {}) as RemoteDataSource);
  if (differences.length === 0) return;
  throw new ProvisioningError(
    `data source "${ds.name}" already exists in the workspace with a different schema, and nothing was changed:\n` +
      differences.map((d) => `  - ${d}`).join("\n") +
      `\nFix: deploy under another name (pulumi config set tinybirdDataSource <name>), or migrate "${ds.name}" ` +
      "yourself to match tinybird/datasources (this stack never drops or alters a data source holding data)",
  );
}

async function ensureDataSource(api: TinybirdApi, ds: DataSourceDefinition): Promise<void> {
  const path = `/v0/datasources/${enc(ds.name)}`;
  const found = await api.request("GET", path, { accept: [404], scope: "DATASOURCES:READ" });
  if (found.status !== 404) return adopt(ds, found.body);
  try {
    await api.request("POST", "/v0/datasources", {
      form: dataSourceCreateParams(ds),
      scope: "DATASOURCES:CREATE",
    });
  } catch (error) {
    // A retried creation may have succeeded the first time: look again rather than fail.
    if (!alreadyExists(error)) throw error;
    adopt(ds, (await api.request("GET", path, { scope: "DATASOURCES:READ" })).body);
  }
}

interface RemoteToken {
  token?: string;
  scopes?: { type?: string; resource?: string }[];
}

const scopeSet = (token: RemoteToken) =>
  (token.scopes ?? [])
    .map((s) => [s.type, s.resource].filter(Boolean).join(":"))
    .sort()
    .join(",");

/**
 * A static token with exactly `scopes`, found by name (adopted, its scopes corrected in place so
 * its value stays the one the forwarder holds) or created. Returns the token's value.
 */
async function ensureToken(
  api: TinybirdApi,
  name: string,
  scopes: string[],
  description: string,
): Promise<string> {
  const path = `/v0/tokens/${enc(name)}`;
  const form = () => {
    const f = new URLSearchParams({ name, description });
    for (const scope of scopes) f.append("scope", scope);
    return f;
  };
  let found = await api.request("GET", path, { accept: [404], scope: "TOKENS" });
  if (found.status === 404) {
    try {
      found = await api.request("POST", "/v0/tokens/", { form: form(), scope: "TOKENS" });
    } catch (error) {
      if (!alreadyExists(error)) throw error;
      found = await api.request("GET", path, { scope: "TOKENS" });
    }
  }
  const token = found.body as RemoteToken;
  if (scopeSet(token) !== [...scopes].sort().join(",")) {
    await api.request("PUT", path, { form: form(), scope: "TOKENS" });
  }
  if (typeof token.token !== "string" || token.token === "") {
    throw new ProvisioningError(
      `Tinybird did not reveal the value of token "${name}". Fix: use the workspace admin token (tinybirdAdminToken), which can read every token`,
    );
  }
  return token.token;
}

async function removeIfPresent(api: TinybirdApi, path: string, scope: string): Promise<void> {
  await api.request("DELETE", path, { accept: [404], scope });
}

/**
 * Deletes a pipe this stack deployed, unless it no longer reads from the stack's data source: pipe
 * names are the same for every data source name, so after a rename the renamed stack has replaced
 * it (Pulumi deletes the old resource after creating the new one). What a pipe reads is its nodes'
 * `dependencies` in `GET /v0/pipes/<name>` (Tinybird's pipe.to_json); a pipe described without them
 * is removed by name, as before.
 */
async function removeOwnPipe(api: TinybirdApi, pipe: string, dataSource: string): Promise<void> {
  const path = `/v0/pipes/${enc(pipe)}`;
  const found = await api.request("GET", path, { accept: [404], scope: "PIPES:READ" });
  if (found.status === 404) return;
  const nodes = (found.body as { nodes?: { dependencies?: unknown }[] } | undefined)?.nodes ?? [];
  const reads = nodes.flatMap((n) => (Array.isArray(n.dependencies) ? [n.dependencies as unknown[]] : []));
  if (reads.length > 0 && !reads.some((tables) => tables.includes(dataSource))) return;
  await removeIfPresent(api, path, "PIPES:DROP");
}

export async function provisionClassic(
  api: TinybirdApi,
  project: TinybirdProject,
  previous?: ProvisionResult,
): Promise<ProvisionResult> {
  const ds = project.dataSource.definition;
  const names = classicTokenNames(ds.name);
  await ensureDataSource(api, ds);

  const pipes = project.pipes.map((p) => p.definition);
  for (const pipe of pipes) {
    // force=true replaces a pipe of the same name in one request, keeping its endpoint and id.
    await api.request("POST", "/v0/pipes", {
      query: { force: "true" },
      json: pipeCreateBody(pipe),
      scope: "PIPES:CREATE",
    });
  }
  const current = new Set(pipes.map((p) => p.name));
  if (previous?.kind === "classic") {
    for (const gone of previous.pipes.filter((p) => !current.has(p))) {
      await removeOwnPipe(api, gone, ds.name);
    }
  }

  const appendToken = await ensureToken(
    api,
    names.append,
    [`DATASOURCES:APPEND:${ds.name}`],
    `clerk-tinybird forwarder: appends Clerk events to ${ds.name}. Managed by Pulumi; revoked by pulumi destroy.`,
  );
  let readToken = "";
  if (pipes.length > 0) {
    readToken = await ensureToken(
      api,
      names.read,
      pipes.map((p) => `PIPES:READ:${p.name}`),
      `clerk-tinybird analytics: reads the ${ds.name} endpoints. Managed by Pulumi; revoked by pulumi destroy.`,
    );
  } else if (previous?.readTokenName) {
    await removeIfPresent(api, `/v0/tokens/${enc(previous.readTokenName)}`, "TOKENS");
  }
  return {
    kind: "classic",
    dataSource: ds.name,
    appendToken,
    readToken,
    appendTokenName: names.append,
    readTokenName: pipes.length > 0 ? names.read : "",
    pipes: pipes.map((p) => p.name),
  };
}

/** What a Classic destroy removes: always the tokens; the pipes and data source only on request. */
export async function destroyClassic(
  api: TinybirdApi,
  target: Pick<ProvisionResult, "dataSource" | "appendTokenName" | "readTokenName" | "pipes">,
  deleteData: boolean,
): Promise<void> {
  for (const name of [target.appendTokenName, target.readTokenName].filter(Boolean)) {
    await removeIfPresent(api, `/v0/tokens/${enc(name)}`, "TOKENS");
  }
  if (!deleteData) return;
  for (const pipe of target.pipes) await removeOwnPipe(api, pipe, target.dataSource);
  try {
    await removeIfPresent(api, `/v0/datasources/${enc(target.dataSource)}`, "DATASOURCES:DROP");
  } catch (error) {
    if (!(error instanceof TinybirdHttpError && error.status === 409)) throw error;
    throw new ProvisioningError(
      `Tinybird answered 409 to deleting data source "${target.dataSource}": ${error.detail}. Fix: something outside ` +
        "this stack depends on it (a materialized view or another pipe): remove that first, or keep the data " +
        "(pulumi config set tinybirdDeleteDataOnDestroy false, then pulumi up before destroying)",
    );
  }
}
