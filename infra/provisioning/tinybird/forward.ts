/**
 * Forward workspaces: everything is a deployment of the project's datafiles (`POST /v1/deploy`),
 * polled until its data is ready, promoted, and then the tokens declared in the datafiles
 * (`TOKEN <name> APPEND|READ`) are read back by name.
 *
 * The deployment API as relied on here (Tinybird's `tb deploy` CLI and @tinybirdco/sdk's
 * deployToMain): multipart, one `data_project://` part per datafile named by its path;
 * query `allow_destructive_operations=true` only when asked; answer
 * `{result: success|no_changes|failed, deployment: {id, status, live, feedback[{level, resource,
 * message}], errors[{filename, error}], deleted_datasource_names, deleted_pipe_names, …}}`.
 * `GET /v1/deployments/{id}` answers `{deployment}` with status calculating → creating_schema →
 * schema_ready → data_ready (or failed, deleting, deleted); `POST /v1/deployments/{id}/set-live`
 * promotes it; the previous live deployment is then deleted, as the CLI does. `auto_promote` is
 * not used, so a deployment that would delete someone else's pipes can be discarded before it goes
 * live.
 */
import { ProvisioningError } from "../../../command-kit/command-shell";
import {
  type Datafile,
  projectDatafiles,
  projectResourceNames,
  type TinybirdProject,
} from "../../../tinybird-model/project";
import type { ProvisionResult } from "./config";
import { type TinybirdApi, TinybirdHttpError, tinybirdErrorText } from "./tinybird-api";

export interface Deployment {
  id: string;
  status: string;
  live?: boolean;
  deleted_datasource_names?: string[];
  deleted_pipe_names?: string[];
  feedback?: unknown;
  errors?: unknown;
}

export interface ForwardOptions {
  allowDestructiveOperations: boolean;
  sleep: (ms: number) => Promise<void>;
  pollIntervalMs?: number;
  /** Polls before giving up on a deployment that never gets ready. */
  maxPolls?: number;
}

const enc = encodeURIComponent;
const DESTRUCTIVE = /destructive|will be (deleted|removed)|would (delete|remove)/i;

/** The deployments of a `GET /v1/deployments` answer (ids as strings: the first one is 0), if it lists any. */
export function deploymentsIn(body: unknown): Deployment[] | undefined {
  const list = (body as { deployments?: unknown } | undefined)?.deployments;
  return Array.isArray(list) ? (list as Deployment[]).map((d) => ({ ...d, id: String(d.id) })) : undefined;
}

export async function listDeployments(api: TinybirdApi): Promise<Deployment[]> {
  const { body } = await api.request("GET", "/v1/deployments", { scope: "ADMIN" });
  return deploymentsIn(body) ?? [];
}

function foreignResourcesRefusal(foreign: string[], detail: string): ProvisioningError {
  const which = foreign.length > 0 ? ` (${foreign.join(", ")})` : "";
  return new ProvisioningError(
    "Tinybird Forward deploys the whole workspace, and this workspace holds resources this project does " +
      `not declare${which}: deploying would delete them, so nothing was changed. Two ways forward: ` +
      "(1) give these Clerk events a dedicated workspace (pulumi config set tinybirdHost / " +
      "pulumi config set --secret tinybirdAdminToken for that workspace); or (2) pulumi config set " +
      "tinybirdAllowDestructiveOperations true, and Tinybird DELETES those resources and their data on the next " +
      `pulumi up. Tinybird said: ${detail}`,
  );
}

const reportsErrors = (deployment: Deployment) =>
  (Array.isArray(deployment.errors) && deployment.errors.length > 0) ||
  (Array.isArray(deployment.feedback) &&
    deployment.feedback.some((f: { level?: unknown }) => String(f?.level).toUpperCase() === "ERROR"));

/**
 * A deployment that ended before it was ready. Tinybird deletes a failed deployment by itself, so one
 * found deleting or deleted with errors failed too (`tb deploy` reports it so); without errors,
 * something else removed it.
 */
function deploymentFailure(deployment: Deployment): ProvisioningError {
  if (deployment.status === "failed" || reportsErrors(deployment)) {
    return new ProvisioningError(
      `Tinybird deployment ${deployment.id} failed: ${tinybirdErrorText({ deployment }, "no details given")}. ` +
        "Fix: correct the datafiles named above (tinybird/), then run pulumi up again",
    );
  }
  return new ProvisioningError(
    `Tinybird deployment ${deployment.id} was deleted before it was ready, and reported no error: another ` +
      "deployment of this workspace (tb deploy, another stack, the UI) most likely replaced it. Fix: let one deployment at a " +
      "time run in this workspace, then run pulumi up again",
  );
}

/**
 * Deploys `files` as the workspace's whole project and makes it live. `ours` are the resource names
 * this stack may remove (its own, current or previous); removing anything else needs
 * allowDestructiveOperations.
 */
export async function deployProject(
  api: TinybirdApi,
  files: Datafile[],
  ours: Set<string>,
  options: ForwardOptions,
  extra: { known?: Deployment[] } = {},
): Promise<void> {
  const { known } = extra;
  const deployments = known ?? (await listDeployments(api));
  // A failed or abandoned staging deployment blocks new ones; Tinybird's SDK clears them too.
  for (const stale of deployments.filter(
    (d) => !d.live && !["deleted", "deleting", "live"].includes(d.status),
  )) {
    await api.request("DELETE", `/v1/deployments/${enc(stale.id)}`, { accept: [404], scope: "ADMIN" });
  }
  const previousLive = deployments.find((d) => d.live || d.status === "live");

  const form = new FormData();
  for (const file of files)
    form.append("data_project://", new Blob([file.text], { type: "text/plain" }), file.path);
  const destructive = options.allowDestructiveOperations;
  const query: Record<string, string> = destructive ? { allow_destructive_operations: "true" } : {};

  let body: { result?: string; deployment?: Deployment };
  try {
    body = (await api.request("POST", "/v1/deploy", { multipart: form, query, scope: "ADMIN" }))
      .body as typeof body;
  } catch (error) {
    if (error instanceof TinybirdHttpError && !destructive && DESTRUCTIVE.test(error.detail)) {
      throw foreignResourcesRefusal([], error.detail);
    }
    throw error;
  }
  if (body.result === "no_changes") return;
  let deployment = body.deployment;
  const foreign = [
    ...(deployment?.deleted_datasource_names ?? []),
    ...(deployment?.deleted_pipe_names ?? []),
  ].filter((name) => !ours.has(name));
  if (body.result === "failed" || !deployment) {
    const detail = tinybirdErrorText(body, "the deployment failed without details");
    if (!destructive && (foreign.length > 0 || DESTRUCTIVE.test(detail))) {
      throw foreignResourcesRefusal(foreign, detail);
    }
    throw new ProvisioningError(
      `Tinybird rejected the deployment: ${detail}. Fix: correct the datafiles named above (tinybird/), then run pulumi up again`,
    );
  }
  deployment = { ...deployment, id: String(deployment.id) };
  if (foreign.length > 0 && !options.allowDestructiveOperations) {
    await api.request("DELETE", `/v1/deployments/${enc(deployment.id)}`, { accept: [404], scope: "ADMIN" });
    throw foreignResourcesRefusal(foreign, `the deployment would remove ${foreign.join(", ")}`);
  }

  const maxPolls = options.maxPolls ?? 450;
  for (let poll = 0; deployment.status !== "data_ready" && !deployment.live; poll++) {
    if (["failed", "deleting", "deleted"].includes(deployment.status)) throw deploymentFailure(deployment);
    if (poll >= maxPolls) {
      throw new ProvisioningError(
        `Tinybird deployment ${deployment.id} was still "${deployment.status}" after ${maxPolls} checks. ` +
          "Fix: follow it in Tinybird's UI (Deployments) and run pulumi up again once it is ready or failed",
      );
    }
    await options.sleep(options.pollIntervalMs ?? 2000);
    const { body: status } = await api.request("GET", `/v1/deployments/${enc(deployment.id)}`, {
      scope: "ADMIN",
    });
    deployment = { ...(status as { deployment: Deployment }).deployment, id: deployment.id };
  }
  if (!deployment.live) {
    await api.request("POST", `/v1/deployments/${enc(deployment.id)}/set-live`, { scope: "ADMIN" });
  }
  if (previousLive && previousLive.id !== deployment.id) {
    await api.request("DELETE", `/v1/deployments/${enc(previousLive.id)}`, { accept: [404], scope: "ADMIN" });
  }
}

function declaredTokens(project: TinybirdProject): { append: string; read: string } {
  const ds = project.dataSource.definition;
  const append = ds.tokens.find((t) => t.permission === "APPEND")?.name;
  if (!append) {
    throw new ProvisioningError(
      `tinybird/${project.dataSource.file.path} declares no APPEND token: add a line TOKEN "clerk_append" APPEND ` +
        "(on Forward, tokens exist only when the datafiles declare them)",
    );
  }
  const reads = [
    ...new Set(
      project.pipes.flatMap((p) =>
        p.definition.tokens.filter((t) => t.permission === "READ").map((t) => t.name),
      ),
    ),
  ];
  if (reads.length > 1) {
    throw new ProvisioningError(
      `the pipes declare different READ tokens (${reads.join(", ")}): the stack outputs one readToken, so declare the same one in every pipe`,
    );
  }
  return { append, read: reads[0] ?? "" };
}

async function readToken(api: TinybirdApi, name: string): Promise<string> {
  const found = await api.request("GET", `/v0/tokens/${enc(name)}`, { accept: [404], scope: "TOKENS" });
  const value = (found.body as { token?: unknown } | undefined)?.token;
  if (found.status === 404 || typeof value !== "string" || value === "") {
    throw new ProvisioningError(
      `the deployment is live but Tinybird did not give the value of token "${name}" (answer ${found.status}). ` +
        "Fix: use the workspace admin token (tinybirdAdminToken), which can read every token",
    );
  }
  return value;
}

const ownNames = (project: TinybirdProject, previous?: ProvisionResult) =>
  new Set([
    ...projectResourceNames(project),
    ...(previous
      ? [
          previous.dataSource,
          ...previous.pipes,
          ...(previous.materializations ?? []),
          ...(previous.rollups ?? []),
        ]
      : []),
  ]);

export async function provisionForward(
  api: TinybirdApi,
  project: TinybirdProject,
  options: ForwardOptions,
  previous?: ProvisionResult,
  known?: Deployment[],
): Promise<ProvisionResult> {
  const tokens = declaredTokens(project);
  // The deployment carries every datafile: Tinybird creates the rollups and materialized pipes, and
  // populates a new rollup from the rows already stored, as part of making the deployment ready.
  await deployProject(api, projectDatafiles(project), ownNames(project, previous), options, { known });
  return {
    kind: "forward",
    dataSource: project.dataSource.definition.name,
    appendToken: await readToken(api, tokens.append),
    readToken: tokens.read ? await readToken(api, tokens.read) : "",
    appendTokenName: tokens.append,
    readTokenName: tokens.read,
    pipes: project.pipes.map((p) => p.definition.name),
    ...(project.materializations.length > 0
      ? {
          materializations: project.materializations.map((m) => m.definition.name),
          rollups: project.rollups.map((r) => r.definition.name),
        }
      : {}),
  };
}

/**
 * Forward destroy is a deployment too: the project is redeployed without its TOKEN lines, which
 * revokes the tokens and keeps the data.
 *
 * Deleting the data would need a deployment without this stack's resources; when they are the whole
 * workspace that is an empty deployment, and no public Tinybird source (CLI, SDK, docs) shows
 * `/v1/deploy` accepting one (the CLI's own migration once needed a dummy pipe for its first
 * deployment). So with deleteDataOnDestroy the tokens are revoked as above and the destroy fails
 * with the steps to delete the rest by hand; once they are gone, the next destroy finds nothing and
 * succeeds.
 *
 * When the data source is no longer in the workspace, nothing of this stack is left to remove: it
 * was destroyed already, or a renamed stack's deployment replaced it (Pulumi deletes the old
 * resource after creating the new one). That deployment now owns the workspace, the datafile's
 * token names included, and redeploying this project would undo it.
 */
export async function destroyForward(
  api: TinybirdApi,
  project: TinybirdProject,
  deleteData: boolean,
  options: ForwardOptions,
  previous?: ProvisionResult,
): Promise<void> {
  const { name } = project.dataSource.definition;
  const found = await api.request("GET", `/v0/datasources/${enc(name)}`, {
    accept: [404],
    scope: "DATASOURCES:READ",
  });
  if (found.status === 404) return;
  const ours = ownNames(project, previous);
  const withoutTokens = projectDatafiles(project).map((file) => ({
    ...file,
    text: file.text.replace(/^TOKEN\s.*$\n?/gm, ""),
  }));
  await deployProject(api, withoutTokens, ours, options);
  if (deleteData) {
    const others = projectResourceNames(project).filter((n) => n !== name);
    throw new ProvisioningError(
      `the tokens are revoked, but the data source "${name}"${others.length ? ` and ${others.join(", ")}` : ""} ` +
        "are kept: Tinybird documents no way to deploy a Forward workspace empty, so this stack will not try. " +
        `To delete them: remove their datafiles from your Tinybird project and run \`tb --cloud deploy --allow-destructive-operations\`, ` +
        `or delete them in Tinybird's UI (Data Sources → ${name} → Delete); then run \`pulumi destroy\` again, which finds ` +
        "them gone and completes. To keep the data instead: pulumi config set tinybirdDeleteDataOnDestroy false, pulumi up, pulumi destroy",
    );
  }
}
