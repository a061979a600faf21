/**
 * Tinybird Forward deployments that converge across runs. A deployment is the whole workspace: all
 * datafiles, `POST /v1/deploy`, then Tinybird prepares it (calculating → creating_schema →
 * schema_ready → data_ready; a changed materialized view or data source repopulates from the stored
 * rows first, which takes hours on a big workspace) and promotes it. Tinybird keeps one live and
 * one staging deployment per workspace, and a deployment goes on after the client that made it
 * stops waiting.
 *
 * So one run, whatever an earlier one left behind:
 * 1. settles what is in flight: a deployment still being prepared or `data_ready` is waited for and
 *    promoted, never deleted (its populate is the work a re-run must not redo; if it holds other
 *    datafiles, step 3 deploys only what differs from it); one that failed is reported and
 *    discarded (Tinybird deletes failed ones anyway), one being deleted is waited out, and one older
 *    than the live one (a promotion stopped before it removed what it replaced) is removed;
 * 2. asks Tinybird to check the datafiles (`check=true`, as `tb deploy --check`): its errors stop the
 *    run, its warnings are printed, and a deployment that would remove resources this stack does not
 *    own is refused unless allowed; `no_changes` ends the run;
 * 3. creates the deployment with `auto_promote=true`, so Tinybird promotes it once its data is ready
 *    even if this run is interrupted (Ctrl-C, a CI timeout), and waits for it, printing its status
 *    and the elapsed time on stderr (which `pulumi up` shows; stdout carries the tokens). Told that
 *    another deployment is in progress (one started since step 1), it goes back to step 1.
 * Running out of the wait fails with a message saying the deployment goes on and the next run picks
 * it up (step 1), so a change to a rollup is populated exactly once however many runs it spans.
 *
 * The API as Tinybird's CLI (`tb deploy`, `tb deployment promote/discard`) and @tinybirdco/sdk drive
 * it: multipart `data_project://` parts named by path; answers `{result: success|no_changes|failed,
 * deployment: {id, status, live, feedback[{level, resource, message}], errors[{filename, error}],
 * new_/changed_/deleted_datasource_names, …_pipe_names, data_movements}}`; `GET /v1/deployments`
 * and `/v1/deployments/{id}`; `POST …/set-live`; `DELETE /v1/deployments/{id}` discards.
 */
import { CommandError, scrubSecrets } from "../../../command-kit/command-shell";
import type { Datafile } from "../../../tinybird-model/project";
import { saysForwardQueryNeeded } from "./diagnosis";
import { type TinybirdApi, TinybirdHttpError, tinybirdErrorText } from "./tinybird-api";

export interface Feedback {
  level?: string;
  resource?: string | null;
  message?: string;
}

export interface Deployment {
  id: string;
  status: string;
  live?: boolean;
  feedback?: Feedback[];
  errors?: unknown;
  new_datasource_names?: string[];
  changed_datasource_names?: string[];
  deleted_datasource_names?: string[];
  new_pipe_names?: string[];
  changed_pipe_names?: string[];
  deleted_pipe_names?: string[];
  data_movements?: { datasource_name?: string; kind?: string; source_mv_name?: string }[];
}

export interface DeployOptions {
  allowDestructiveOperations: boolean;
  /** How long this run waits for deployments (its own and earlier ones) before leaving them to Tinybird. */
  waitMs: number;
  pollIntervalMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** A line for the person running `pulumi up` (stderr: never a token). */
  progress: (line: string) => void;
}

/** What Tinybird's check said about a set of datafiles. */
export interface CheckReport {
  result: "success" | "no_changes";
  /** One line per change, for a person. */
  changes: string[];
  /** Tinybird's WARNING feedback, one line each. */
  warnings: string[];
  /** Resources the deployment would remove that the stack does not own. */
  foreign: string[];
}

const enc = encodeURIComponent;
const IN_PROGRESS = new Set(["calculating", "creating_schema", "schema_ready"]);
const ENDED = new Set(["failed", "deleting", "deleted"]);
/** Print a waiting line at least this often, besides every status change. */
const PROGRESS_EVERY_MS = 60_000;

const isLive = (d: Deployment) => d.live === true || d.status === "live";
const order = (id: string) => (/^\d+$/.test(id) ? Number(id) : Number.NaN);

/** The deployments of a `GET /v1/deployments` answer (ids as strings: the first one is 0). */
export function deploymentsIn(body: unknown): Deployment[] {
  const list = (body as { deployments?: unknown } | undefined)?.deployments;
  return Array.isArray(list) ? (list as Deployment[]).map((d) => ({ ...d, id: String(d.id) })) : [];
}

async function listDeployments(api: TinybirdApi): Promise<Deployment[]> {
  return deploymentsIn((await api.request("GET", "/v1/deployments", { scope: "ADMIN" })).body);
}

async function getDeployment(api: TinybirdApi, id: string): Promise<Deployment> {
  const { body } = await api.request("GET", `/v1/deployments/${enc(id)}`, { scope: "ADMIN" });
  return { ...(body as { deployment: Deployment }).deployment, id };
}

/** `1h 02m 05s`, `3m 20s`, `12s`. */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const pad = (n: number) => String(n).padStart(2, "0");
  if (h > 0) return `${h}h ${pad(m)}m ${pad(sec)}s`;
  return m > 0 ? `${m}m ${pad(sec)}s` : `${sec}s`;
}

/** The wait budget of one run, shared by every deployment it waits for. */
class Clock {
  private readonly start: number;
  constructor(private readonly options: DeployOptions) {
    this.start = options.now();
  }
  get spent(): number {
    return this.options.now() - this.start;
  }
  get expired(): boolean {
    return this.spent >= this.options.waitMs;
  }
}

function feedbackLines(deployment: Deployment | undefined, level: string): string[] {
  return (deployment?.feedback ?? [])
    .filter((f) => String(f?.level).toUpperCase() === level)
    .map((f) => `${f.resource ? `${f.resource}: ` : ""}${f.message ?? ""}`);
}

function changeLines(d: Deployment | undefined): string[] {
  if (!d) return [];
  const list = (label: string, names: string[] | undefined) =>
    names && names.length > 0 ? [`${label}: ${names.join(", ")}`] : [];
  return [
    ...list("new data sources", d.new_datasource_names),
    ...list("changed data sources", d.changed_datasource_names),
    ...list("deleted data sources", d.deleted_datasource_names),
    ...list("new pipes", d.new_pipe_names),
    ...list("changed pipes", d.changed_pipe_names),
    ...list("deleted pipes", d.deleted_pipe_names),
    ...(d.data_movements ?? []).map(
      (m) =>
        `${m.datasource_name} is repopulated from the stored rows (${
          m.kind === "backfill_with_forward_query"
            ? "its FORWARD_QUERY over the live rows"
            : `materialized view ${m.source_mv_name ?? ""}`.trim()
        })`,
    ),
  ];
}

/**
 * Tinybird's refusal as a message that names the fix. A data source whose change Tinybird cannot
 * apply to its rows as they are needs a FORWARD_QUERY: say where and how.
 */
function rejected(what: string, detail: string): CommandError {
  const fix = saysForwardQueryNeeded(detail)
    ? "Tinybird needs a FORWARD_QUERY in the data source named above: a SELECT of every column of the new " +
      "schema from the live rows (no FROM), e.g. FORWARD_QUERY > SELECT * EXCEPT (status), " +
      "toLowCardinality(status) AS status (docs/tinybird.md, Changing a data source that holds data). Nothing was changed"
    : "correct the datafiles named above (tinybird/), then run pulumi up again. Nothing was changed";
  // Tinybird's text is quoted whole: anything shaped like a token in it goes.
  return new CommandError(`${what}: ${scrubSecrets(detail, [])}. Fix: ${fix}`);
}

function foreignResourcesRefusal(foreign: string[], detail: string): CommandError {
  return new CommandError(
    "Tinybird Forward deploys the whole workspace, and this workspace holds resources this project does " +
      `not declare (${foreign.join(", ")}): deploying would delete them, so nothing was changed. Two ways forward: ` +
      "(1) give these Clerk events a dedicated workspace (pulumi config set tinybirdHost / " +
      "pulumi config set --secret tinybirdAdminToken for that workspace), or add those resources' datafiles to " +
      "tinybird/ so the project deploys them too; or (2) pulumi config set tinybirdAllowDestructiveOperations true, " +
      `and Tinybird DELETES those resources and their data on the next pulumi up. Tinybird said: ${detail}`,
  );
}

function multipart(files: Datafile[]): FormData {
  const form = new FormData();
  for (const file of files) {
    form.append("data_project://", new Blob([file.text], { type: "text/plain" }), file.path);
  }
  return form;
}

/**
 * Tinybird's refusal to start a deployment while another one is in flight (one staging at a time):
 * "There's already a deployment in progress", as a Tinybird engineer quotes it in the TypeScript SDK
 * (tinybirdco/tinybird-sdk-typescript b520c13, "Fix deploy to clean up stale deployments"); `tb deploy`
 * prints the answer's `error` as it comes. No source gives the status code, hence 400/409/422 below.
 */
const BUSY = /in progress|already (a|another) deployment|another deployment/i;

async function postDeploy(
  api: TinybirdApi,
  files: Datafile[],
  query: Record<string, string>,
): Promise<{ result?: string; deployment?: Deployment; busy?: true }> {
  try {
    const { body } = await api.request("POST", "/v1/deploy", {
      multipart: multipart(files),
      query,
      scope: "ADMIN",
    });
    return (body ?? {}) as { result?: string; deployment?: Deployment };
  } catch (error) {
    // A refused token or a wrong host (401, 403, 404) keeps its own message and fix.
    if (error instanceof TinybirdHttpError && [400, 409, 422].includes(error.status)) {
      if (BUSY.test(error.detail)) return { busy: true };
      // Tinybird answers some refusals of the datafiles with a 4xx: read it like a failed result.
      return { result: "failed", deployment: { id: "", status: "failed", errors: [error.detail] } };
    }
    throw error;
  }
}

const removedNames = (d: Deployment | undefined) => [
  ...(d?.deleted_datasource_names ?? []),
  ...(d?.deleted_pipe_names ?? []),
];

/**
 * Asks Tinybird to validate `files` as the next deployment without creating it (`check=true`, as
 * `tb deploy --check`): the workspace does not change. Throws Tinybird's errors; reports its
 * warnings and the changes it would make.
 */
export async function checkDeployment(
  api: TinybirdApi,
  files: Datafile[],
  ours: Set<string>,
  allowDestructiveOperations: boolean,
): Promise<CheckReport> {
  const body = await postDeploy(api, files, {
    check: "true",
    ...(allowDestructiveOperations ? { allow_destructive_operations: "true" } : {}),
  });
  const foreign = removedNames(body.deployment).filter((name) => !ours.has(name));
  if (body.result === "failed" || (body.result !== "no_changes" && !body.deployment)) {
    const detail = tinybirdErrorText(body, "the check failed without details");
    if (!allowDestructiveOperations && foreign.length > 0) throw foreignResourcesRefusal(foreign, detail);
    throw rejected("Tinybird's check refused these datafiles", detail);
  }
  return {
    result: body.result === "no_changes" ? "no_changes" : "success",
    changes: changeLines(body.deployment),
    warnings: feedbackLines(body.deployment, "WARNING"),
    foreign,
  };
}

/** A deployment that ended before it went live. */
function deploymentFailure(deployment: Deployment, whose: string): CommandError {
  const errors =
    (Array.isArray(deployment.errors) && deployment.errors.length > 0) ||
    feedbackLines(deployment, "ERROR").length > 0;
  if (deployment.status === "failed" || errors) {
    return rejected(
      `Tinybird deployment ${deployment.id} (${whose}) failed`,
      tinybirdErrorText({ deployment }, "no details given"),
    );
  }
  return new CommandError(
    `Tinybird deployment ${deployment.id} (${whose}) was deleted before it went live, and reported no error: ` +
      "someone discarded it (tb deployment discard, the UI). Fix: run pulumi up again",
  );
}

function waitedTooLong(deployment: Deployment, clock: Clock, whose: string): CommandError {
  return new CommandError(
    `Tinybird deployment ${deployment.id} (${whose}) is still "${deployment.status}" after ${elapsed(clock.spent)} ` +
      "of waiting (tinybirdDeploymentWaitMinutes). It goes on in Tinybird, which promotes it once its data is ready, " +
      "and the next pulumi up picks it up instead of starting another: nothing is lost by stopping here. " +
      "To wait longer in one run: pulumi config set tinybirdDeploymentWaitMinutes <minutes>",
  );
}

/**
 * Waits until `deployment` is live, promoting it if it reached data_ready without being
 * auto-promoted (one made by `tb deployment create`, or by an older release of this stack).
 */
async function waitUntilLive(
  api: TinybirdApi,
  start: Deployment,
  clock: Clock,
  options: DeployOptions,
  whose: string,
): Promise<void> {
  let deployment = start;
  let printed = { status: "", at: Number.NEGATIVE_INFINITY };
  let readyPolls = 0;
  for (;;) {
    if (isLive(deployment)) {
      options.progress(
        `Tinybird deployment ${deployment.id} (${whose}) is live, after ${elapsed(clock.spent)}`,
      );
      return;
    }
    if (ENDED.has(deployment.status)) throw deploymentFailure(deployment, whose);
    if (deployment.status === "data_ready" && ++readyPolls > 2) {
      await promote(api, deployment, options);
      deployment = await getDeployment(api, deployment.id);
      continue;
    }
    if (clock.expired) throw waitedTooLong(deployment, clock, whose);
    if (deployment.status !== printed.status || clock.spent - printed.at >= PROGRESS_EVERY_MS) {
      options.progress(
        `waiting for Tinybird deployment ${deployment.id} (${whose}): ${deployment.status}, ${elapsed(clock.spent)} elapsed`,
      );
      printed = { status: deployment.status, at: clock.spent };
    }
    await options.sleep(options.pollIntervalMs);
    deployment = await getDeployment(api, deployment.id);
  }
}

/** `tb deployment promote`: set-live, then remove the deployment it replaces. */
async function promote(api: TinybirdApi, deployment: Deployment, options: DeployOptions): Promise<void> {
  const previous = (await listDeployments(api)).find((d) => isLive(d) && d.id !== deployment.id);
  options.progress(`promoting Tinybird deployment ${deployment.id}: its data is ready`);
  await api.request("POST", `/v1/deployments/${enc(deployment.id)}/set-live`, { scope: "ADMIN" });
  if (previous) await discard(api, previous.id);
}

async function discard(api: TinybirdApi, id: string): Promise<void> {
  await api.request("DELETE", `/v1/deployments/${enc(id)}`, { accept: [400, 404], scope: "ADMIN" });
}

/**
 * Step 1: until nothing but the live deployment is left, waits for (and promotes) what is being
 * prepared, discards what failed, waits out what is being deleted, and removes a deployment an
 * earlier promotion replaced.
 */
async function settle(api: TinybirdApi, clock: Clock, options: DeployOptions): Promise<void> {
  // What was already done to a deployment in the status it had: seen again unchanged, wait a poll.
  const handled = new Map<string, string>();
  for (;;) {
    const deployments = await listDeployments(api);
    const live = deployments.find(isLive);
    const pending = deployments
      .filter((d) => !isLive(d) && d.status !== "deleted")
      .sort((a, b) => order(b.id) - order(a.id));
    const next = pending[0];
    if (!next) return;
    if (handled.get(next.id) === next.status) {
      if (clock.expired) {
        throw new CommandError(
          `Tinybird deployment ${next.id} is still "${next.status}" after ${elapsed(clock.spent)}, and a new ` +
            "deployment cannot start before it is gone: run pulumi up again later, or discard it (tb --cloud deployment discard)",
        );
      }
      await options.sleep(options.pollIntervalMs);
      continue;
    }
    handled.set(next.id, next.status);
    const replaced = live !== undefined && order(next.id) < order(live.id);
    if (next.status === "failed") {
      // The list carries no errors: the deployment itself does.
      const failed = await getDeployment(api, next.id);
      options.progress(
        `Tinybird deployment ${next.id} failed earlier (${tinybirdErrorText({ deployment: failed }, "no details given")}): discarding it`,
      );
      await discard(api, next.id);
    } else if (next.status === "deleting") {
      await waitWhileDeleting(api, next, clock, options);
    } else if (replaced && !IN_PROGRESS.has(next.status)) {
      options.progress(`removing Tinybird deployment ${next.id}, replaced by live deployment ${live.id}`);
      await discard(api, next.id);
    } else {
      options.progress(
        `Tinybird deployment ${next.id} is already ${next.status} (an earlier pulumi up, or tb deploy): ` +
          "waiting for it and promoting it, so its work is not redone; the datafiles are checked against it next",
      );
      await waitUntilLive(api, next, clock, options, "started earlier");
    }
  }
}

async function waitWhileDeleting(
  api: TinybirdApi,
  start: Deployment,
  clock: Clock,
  options: DeployOptions,
): Promise<void> {
  options.progress(`waiting for Tinybird to finish removing deployment ${start.id}`);
  let deployment = start;
  while (deployment.status === "deleting") {
    if (clock.expired) {
      throw new CommandError(
        `Tinybird is still removing deployment ${deployment.id} after ${elapsed(clock.spent)}: run pulumi up again later`,
      );
    }
    await options.sleep(options.pollIntervalMs);
    const found = await api.request("GET", `/v1/deployments/${enc(deployment.id)}`, {
      accept: [404],
      scope: "ADMIN",
    });
    if (found.status === 404) return;
    deployment = { ...(found.body as { deployment: Deployment }).deployment, id: deployment.id };
  }
}

/**
 * Makes `files` the workspace's live deployment (steps 1–3 above). `ours` are the resource names
 * this stack may remove (its own, current or previous); removing anything else needs
 * allowDestructiveOperations. Resolves "no_changes" when the workspace already runs these datafiles.
 */
export async function deployFiles(
  api: TinybirdApi,
  files: Datafile[],
  ours: Set<string>,
  options: DeployOptions,
): Promise<"no_changes" | "deployed"> {
  const clock = new Clock(options);
  for (let busy = 0; ; busy++) {
    await settle(api, clock, options);

    const check = await checkDeployment(api, files, ours, options.allowDestructiveOperations);
    for (const warning of check.warnings) options.progress(`Tinybird warns: ${warning}`);
    if (check.foreign.length > 0 && !options.allowDestructiveOperations) {
      throw foreignResourcesRefusal(check.foreign, `the deployment would remove ${check.foreign.join(", ")}`);
    }
    if (check.result === "no_changes") {
      options.progress("Tinybird: the workspace already runs these datafiles");
      return "no_changes";
    }

    const body = await postDeploy(api, files, {
      auto_promote: "true",
      ...(options.allowDestructiveOperations ? { allow_destructive_operations: "true" } : {}),
    });
    if (body.busy) {
      if (busy >= 3) {
        throw new CommandError(
          "Tinybird kept answering that another deployment is in progress, and none is listed: check the " +
            "workspace's deployments (tb --cloud deployment ls), then run pulumi up again",
        );
      }
      // Another run (or tb deploy) started one since step 1: wait for it too, then check again.
      options.progress("another Tinybird deployment started meanwhile: waiting for it first");
      await options.sleep(options.pollIntervalMs);
      continue;
    }
    return created(api, body, clock, options);
  }
}

async function created(
  api: TinybirdApi,
  body: { result?: string; deployment?: Deployment },
  clock: Clock,
  options: DeployOptions,
): Promise<"no_changes" | "deployed"> {
  if (body.result === "no_changes") return "no_changes";
  if (body.result === "failed" || !body.deployment) {
    throw rejected(
      "Tinybird rejected the deployment",
      tinybirdErrorText(body, "the deployment failed without details"),
    );
  }
  const deployment = { ...body.deployment, id: String(body.deployment.id) };
  const changes = changeLines(deployment);
  options.progress(
    `Tinybird deployment ${deployment.id} created${changes.length > 0 ? `: ${changes.join("; ")}` : ""}`,
  );
  await waitUntilLive(api, deployment, clock, options, "this run's");
  return "deployed";
}
