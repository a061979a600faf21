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
 *
 * Materialized views as Tinybird's CLI makes them (`tb push`, datafile/pipe push): the target data
 * source first, then the pipe in one `POST /v0/pipes` whose materialized node carries
 * `type: materialized` and `datasource: <target>`; `populate=true` makes Tinybird run the node's
 * query over the rows already in the landing data source as a job (`{job: {id, status}}`, followed
 * with `GET /v0/jobs/<id>` until done or error). Populating happens only when the pipe is created;
 * the rollups are idempotent states, so a repeated populate would not double-count anyway.
 */
import { ProvisioningError } from "../../../command-kit/command-shell";
import type { DataSourceDefinition } from "../../../tinybird-model/datasource-file";
import type { PipeDefinition } from "../../../tinybird-model/pipe-file";
import type { TinybirdProject } from "../../../tinybird-model/project";
import { dataSourceCreateParams, pipeCreateBody } from "./classic-params";
import type { ProvisionResult } from "./config";
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
  if (found.status !== 404) {
    adopt(ds, found.body);
    return;
  }
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

/** Options for following a populate job. */
export interface ClassicOptions {
  sleep?: (ms: number) => Promise<void>;
  pollIntervalMs?: number;
  maxPolls?: number;
}

interface JobAnswer {
  id?: string;
  job_id?: string;
  status?: string;
  error?: string;
}

/** Follows a populate job until it is done; a failed one names the pipe and the fix. */
async function waitForJob(
  api: TinybirdApi,
  pipe: string,
  job: JobAnswer,
  options: ClassicOptions,
): Promise<void> {
  const id = job.id ?? job.job_id;
  if (!id) return;
  const maxPolls = options.maxPolls ?? 900;
  let current = job;
  for (let poll = 0; current.status !== "done"; poll++) {
    if (current.status === "error" || current.status === "cancelled") {
      throw new ProvisioningError(
        `Tinybird could not populate the materialized pipe "${pipe}" from the rows already stored (job ${id}: ${
          current.error ?? current.status
        }). Fix: correct tinybird/materializations/${pipe}.pipe, delete the pipe and its rollup in Tinybird, then run pulumi up again`,
      );
    }
    if (poll >= maxPolls) {
      throw new ProvisioningError(
        `the populate job ${id} of "${pipe}" was still "${current.status}" after ${maxPolls} checks. Fix: follow it in Tinybird's UI (Jobs); the rollup fills in the background, run pulumi up again once it is done`,
      );
    }
    await (options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(options.pollIntervalMs ?? 2000);
    current = (await api.request("GET", `/v0/jobs/${enc(id)}`, { scope: "ADMIN" })).body as JobAnswer;
  }
}

/** Creates or replaces a materialized pipe; the first creation populates its rollup from stored rows. */
async function ensureMaterialization(
  api: TinybirdApi,
  pipe: PipeDefinition,
  options: ClassicOptions,
): Promise<void> {
  const found = await api.request("GET", `/v0/pipes/${enc(pipe.name)}`, {
    accept: [404],
    scope: "PIPES:READ",
  });
  const populate = found.status === 404;
  const { body } = await api.request("POST", "/v0/pipes", {
    query: { force: "true", ...(populate ? { populate: "true", unlink_on_populate_error: "false" } : {}) },
    json: pipeCreateBody(pipe),
    scope: "PIPES:CREATE",
  });
  const job = (body as { job?: JobAnswer } | undefined)?.job;
  if (populate && job) await waitForJob(api, pipe.name, job, options);
}

export async function provisionClassic(
  api: TinybirdApi,
  project: TinybirdProject,
  previous?: ProvisionResult,
  options: ClassicOptions = {},
): Promise<ProvisionResult> {
  const ds = project.dataSource.definition;
  const names = classicTokenNames(ds.name);
  await ensureDataSource(api, ds);
  // Dependencies first: a rollup before the materialized pipe writing it, which reads the landing one.
  for (const rollup of project.rollups) await ensureDataSource(api, rollup.definition);
  for (const m of project.materializations) await ensureMaterialization(api, m.definition, options);

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
    ...(project.materializations.length > 0
      ? {
          materializations: project.materializations.map((m) => m.definition.name),
          rollups: project.rollups.map((r) => r.definition.name),
        }
      : {}),
  };
}

/** What a Classic destroy removes: always the tokens; the pipes and data source only on request. */
export async function destroyClassic(
  api: TinybirdApi,
  target: Pick<
    ProvisionResult,
    "dataSource" | "appendTokenName" | "readTokenName" | "pipes" | "materializations" | "rollups"
  >,
  deleteData: boolean,
): Promise<void> {
  for (const name of [target.appendTokenName, target.readTokenName].filter(Boolean)) {
    await removeIfPresent(api, `/v0/tokens/${enc(name)}`, "TOKENS");
  }
  if (!deleteData) return;
  for (const pipe of target.pipes) await removeOwnPipe(api, pipe, target.dataSource);
  // Readers before what they read: the materialized pipes, then their rollups, then the landing one.
  for (const pipe of target.materializations ?? []) await removeOwnPipe(api, pipe, target.dataSource);
  for (const name of [...(target.rollups ?? []), target.dataSource]) {
    try {
      await removeIfPresent(api, `/v0/datasources/${enc(name)}`, "DATASOURCES:DROP");
    } catch (error) {
      if (!(error instanceof TinybirdHttpError && error.status === 409)) throw error;
      throw new ProvisioningError(
        `Tinybird answered 409 to deleting data source "${name}": ${error.detail}. Fix: something outside ` +
          "this stack depends on it (a materialized view or another pipe): remove that first, or keep the data " +
          "(pulumi config set tinybirdDeleteDataOnDestroy false, then pulumi up before destroying)",
      );
    }
  }
}
