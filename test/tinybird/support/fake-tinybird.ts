/**
 * A Tinybird Forward workspace on 127.0.0.1 that behaves as Tinybird does for the APIs the
 * provisioning uses, with state, so re-runs, interruptions and destroys can be checked:
 *
 * - `POST /v1/deploy` plans the new datafiles against the live ones (fake-plan.ts): `check=true`
 *   only answers; otherwise a deployment is created (one staging deployment at a time), moves
 *   calculating → creating_schema → schema_ready → data_ready, taking `populateSteps` steps more
 *   when a view must repopulate, and with `auto_promote` goes live by itself; the live one it
 *   replaces is deleting, then deleted. Time passes one step per request the workspace answers, or
 *   by `advance()` while no client is watching: a deployment outlives the client that created it.
 * - A deployment fails (ERROR feedback) when a data source change needs a FORWARD_QUERY it lacks,
 *   and, with chDB, when a view's columns differ from its target's or a FORWARD_QUERY's from the
 *   schema; a failed deployment is deleted by Tinybird a few steps later. `failNext` makes the next
 *   one fail while it populates; `warnNext` adds WARNING feedback.
 * - With a chDB session, the live data sources are real tables (fake-tables.ts): rows ingested stay
 *   through deployments, and a promoted deployment alters, rewrites and populates them.
 * - Tokens declared in the datafiles (`TOKEN <name> APPEND|READ`) exist while a live deployment
 *   declares them, keeping their values; `GET /v0/tokens/<name>` reads them.
 * - A `classic` workspace has no /v1 API, as Tinybird's retired Classic workspaces.
 * Every request is recorded, one-shot faults can be queued in front of any route, and `beforeNext`
 * lets another client act just before one request (a teammate's `tb deploy` between two calls).
 */
import type { ServerResponse } from "node:http";
import type { Session } from "chdb";
import type { IngestResult } from "../../../tinybird-model/clickhouse";
import { type RecordedRequest, type StubReply, type StubServer, startStub } from "../../support/http-stub";
import { baseName, type DeployedFile, type Feedback, type Plan, planDeployment } from "./fake-plan";
import { FakeTables } from "./fake-tables";

export const ADMIN_TOKEN = "p.admin-eyJ1IjoiYWRtaW4tdG9rZW4tc2VjcmV0In0";

export interface FakeToken {
  name: string;
  token: string;
  scopes: { type: string; resource?: string }[];
}

export interface FakeDeployment {
  id: string;
  status: string;
  live: boolean;
  autoPromote: boolean;
  files: DeployedFile[];
  plan: Plan;
  /** Steps left in the current status. */
  stepsLeft: number;
  feedback: Feedback[];
  errors: { filename: string; error: string }[];
  /** Fails at schema_ready with these errors (failNext). */
  failWith?: { filename: string; error: string }[];
}

export interface FakeOptions {
  kind?: "forward" | "classic";
  /** Real tables on this chDB session (one per process): view and FORWARD_QUERY checks, rows, populates. */
  session?: Session;
}

type Fault = { method: string; path: string | RegExp; reply: StubReply | ((res: ServerResponse) => void) };

export interface FakeTinybird {
  url: string;
  requests: RecordedRequest[];
  kind: "forward" | "classic";
  deployments: FakeDeployment[];
  tokens: Map<string, FakeToken>;
  /** Steps a deployment spends populating when a view has to re-run (default 6). */
  populateSteps: number;
  /** Steps Tinybird spends removing a deployment (dropping its tables; default 1). */
  deleteSteps: number;
  /** Rollups populated by promoted deployments, in order, with the deployment's id. */
  populates: { deployment: string; datasource: string }[];
  live(): FakeDeployment | undefined;
  /** The live deployment's data source and pipe names. */
  datasources(): string[];
  pipes(): string[];
  /** Lets `steps` units of time pass with nobody watching. */
  advance(steps?: number): void;
  /** The next deployment created fails while it populates. */
  failNext(errors: { filename: string; error: string }[]): void;
  /** WARNING feedback on the next check or deployment. */
  warnNext(resource: string, message: string): void;
  /** Makes `files` the live deployment at once, with token values (a workspace Tinybird migrated). */
  seedLive(files: DeployedFile[], options?: { id?: string; tokenValues?: Record<string, string> }): void;
  /** Appends events to a live data source as the Events API does (needs a chDB session). */
  ingest(datasource: string, events: (string | object)[]): IngestResult;
  /** SQL over the live tables (needs a chDB session). */
  query<T = Record<string, unknown>>(sql: string): T[];
  count(table: string): number;
  fault(method: string, path: string | RegExp, reply: Fault["reply"]): void;
  /** Runs `action` just before the next request `call` (`METHOD /path?query`, as `calls()` lists it) is answered. */
  beforeNext(call: string, action: () => unknown): void;
  /** Every request so far as `METHOD /path?query`, in order. */
  calls(): string[];
  close(): Promise<void>;
}

const json = (status: number, body: unknown): StubReply => ({ status, body });
const error = (status: number, message: string) => json(status, { error: message });

let counter = 0;
const newToken = (name: string) => `p.${name}-eyJpZCI6${++counter}In0-value`;

/** A request as `calls()` lists it: `METHOD /path?query`. */
const callOf = (r: RecordedRequest) => `${r.method} ${r.path}${r.query.size ? `?${r.query}` : ""}`;

/** The file parts of a multipart request, as a deployment receives them. */
export async function multipartFiles(req: RecordedRequest): Promise<DeployedFile[]> {
  const data = await new Response(new Uint8Array(req.body), {
    headers: { "content-type": String(req.headers["content-type"]) },
  }).formData();
  const files: DeployedFile[] = [];
  for (const [field, value] of data.entries()) {
    if (typeof value !== "string") files.push({ field, filename: value.name, text: await value.text() });
  }
  return files;
}

export async function startFakeTinybird(options: FakeOptions = {}): Promise<FakeTinybird> {
  const kind = options.kind ?? "forward";
  const tables = options.session ? new FakeTables(options.session) : undefined;
  const faults: Fault[] = [];
  const hooks: { call: string; action: () => unknown }[] = [];
  const warnings: Feedback[] = [];
  let failure: FakeDeployment["failWith"];
  let nextId = 1;

  const fake = {
    kind,
    deployments: [] as FakeDeployment[],
    tokens: new Map<string, FakeToken>(),
    populateSteps: 6,
    deleteSteps: 1,
    populates: [] as { deployment: string; datasource: string }[],
  };
  const live = () => fake.deployments.find((d) => d.live);
  const staging = () => fake.deployments.find((d) => !d.live && d.status !== "deleted");

  function view(d: FakeDeployment) {
    return {
      id: d.id,
      status: d.status,
      live: d.live,
      feedback: d.feedback,
      errors: d.errors,
      ...d.plan.changes,
    };
  }

  function plan(files: DeployedFile[]): Plan {
    const planned = planDeployment(files, live()?.files ?? []);
    if (tables && planned.errors.length === 0) {
      const key = JSON.stringify(files);
      for (const p of tables.check(planned, key)) planned.feedback.push({ level: "ERROR", ...p });
    }
    planned.feedback.push(...warnings.splice(0));
    return planned;
  }

  /**
   * Makes `d` live. Auto-promotion removes the deployment it replaces, as Tinybird does;
   * set-live leaves it to the caller (`tb deployment promote` deletes it next).
   */
  function promote(d: FakeDeployment, removeReplaced: boolean): void {
    const previous = live();
    if (previous) {
      previous.live = false;
      previous.status = removeReplaced ? "deleting" : "data_ready";
      previous.autoPromote = false;
      previous.stepsLeft = removeReplaced ? fake.deleteSteps : 1;
    }
    if (tables) tables.promote(d.plan, previous?.plan);
    for (const target of d.plan.populate.map((p) => p.target)) {
      fake.populates.push({ deployment: d.id, datasource: target });
    }
    d.live = true;
    d.status = "live";
    syncTokens(d);
  }

  /** Tokens follow the live deployment's TOKEN lines: kept (same value), created, or removed. */
  function syncTokens(d: FakeDeployment, values: Record<string, string> = {}): void {
    const declared = new Map<string, FakeToken["scopes"]>();
    for (const f of d.files) {
      const resource = baseName(f.filename);
      const family = f.filename.endsWith(".datasource") ? "DATASOURCES" : "PIPES";
      for (const m of f.text.matchAll(/^TOKEN\s+["']?(\w+)["']?\s+(\w+)\s*$/gm)) {
        declared.set(m[1]!, [...(declared.get(m[1]!) ?? []), { type: `${family}:${m[2]}`, resource }]);
      }
    }
    for (const name of fake.tokens.keys()) if (!declared.has(name)) fake.tokens.delete(name);
    for (const [name, scopes] of declared) {
      const token = values[name] ?? fake.tokens.get(name)?.token ?? newToken(name);
      fake.tokens.set(name, { name, token, scopes });
    }
  }

  /** One unit of time: every deployment in flight moves on. */
  function step(): void {
    for (const d of [...fake.deployments]) {
      // A replaced deployment left data_ready by set-live waits there to be deleted.
      const waiting = d.status === "data_ready" && !d.autoPromote;
      if (d.live || d.status === "deleted" || waiting || --d.stepsLeft > 0) continue;
      const move = (status: string, steps = 1) => {
        d.status = status;
        d.stepsLeft = steps;
      };
      const populates = d.plan.populate.length > 0 || d.plan.actions.some((a) => a.kind === "rewrite");
      if (d.status === "calculating") move("creating_schema");
      else if (d.status === "creating_schema") move("schema_ready", populates ? fake.populateSteps : 1);
      else if (d.status === "schema_ready" && d.failWith) {
        d.errors = d.failWith;
        move("failed", 2);
      } else if (d.status === "schema_ready") move("data_ready");
      else if (d.status === "data_ready") promote(d, true);
      // Tinybird discards a failed deployment by itself.
      else if (d.status === "failed") move("deleting", fake.deleteSteps);
      else if (d.status === "deleting") move("deleted");
    }
  }

  async function deploy(req: RecordedRequest): Promise<StubReply> {
    const files = await multipartFiles(req);
    const check = req.query.get("check") === "true";
    // Tinybird's words, as quoted by its TypeScript SDK (tinybirdco/tinybird-sdk-typescript b520c13).
    if (!check && staging()) return error(400, "There's already a deployment in progress");
    const planned = plan(files);
    const destructive = req.query.get("allow_destructive_operations") === "true";
    if (planned.changes.deleted_datasource_names.length > 0 && !destructive) {
      for (const n of planned.changes.deleted_datasource_names) {
        planned.feedback.push({
          level: "ERROR",
          resource: `Datasource ${n}.datasource`,
          message: "Removing this data source is a destructive operation: it deletes its data",
        });
      }
    }
    const failed = planned.feedback.some((f) => f.level === "ERROR");
    const current = live();
    const unchanged =
      current &&
      current.files.length === files.length &&
      current.files.every((f, i) => f.filename === files[i]!.filename && f.text === files[i]!.text);
    if (unchanged && !failed) return json(200, { result: "no_changes" });
    const d: FakeDeployment = {
      id: check ? "" : String(nextId++),
      status: failed ? "failed" : "calculating",
      live: false,
      autoPromote: req.query.get("auto_promote") === "true",
      files,
      plan: planned,
      stepsLeft: failed ? 2 : 1,
      feedback: planned.feedback,
      errors: planned.errors,
      ...(failure && !failed ? { failWith: failure } : {}),
    };
    if (check) return json(200, { result: failed ? "failed" : "success", deployment: view(d) });
    failure = undefined;
    fake.deployments.push(d);
    return json(200, { result: failed ? "failed" : "success", deployment: view(d) });
  }

  const deployment = (id: string) => fake.deployments.find((d) => d.id === id);
  type Route = [
    method: string,
    path: RegExp,
    answer: (req: RecordedRequest, name: string) => StubReply | Promise<StubReply>,
  ];
  const routes: Route[] = [
    // Tinybird's CLI tells Forward by this answer; a Classic workspace has no /v1/workspace.
    ["GET", /^\/v1\/workspace$/, () => json(200, { id: "ws_1", name: "clerk", release: "forward" })],
    [
      "GET",
      /^\/v1\/deployments$/,
      () =>
        json(200, {
          deployments: fake.deployments.map(({ id, status, live }) => ({ id, status, live })).reverse(),
        }),
    ],
    ["POST", /^\/v1\/deploy$/, (req) => deploy(req)],
    [
      "GET",
      /^\/v1\/deployments\/([^/]+)$/,
      (_req, id) => {
        const d = deployment(id);
        return d ? json(200, { result: "success", deployment: view(d) }) : error(404, "Deployment not found");
      },
    ],
    [
      "POST",
      /^\/v1\/deployments\/([^/]+)\/set-live$/,
      (_req, id) => {
        const d = deployment(id);
        if (!d) return error(404, "Deployment not found");
        if (d.live) return json(200, { result: "success" });
        if (d.status !== "data_ready") return error(400, `Deployment ${id} is not ready (${d.status})`);
        promote(d, false);
        return json(200, { result: "success" });
      },
    ],
    [
      "DELETE",
      /^\/v1\/deployments\/([^/]+)$/,
      (_req, id) => {
        const d = deployment(id);
        if (!d) return error(404, "Deployment not found");
        if (d.live) return error(400, "Cannot delete the live deployment");
        if (d.status !== "deleted") {
          d.status = "deleting";
          d.stepsLeft = fake.deleteSteps;
        }
        return json(200, { result: "success" });
      },
    ],
    [
      "GET",
      /^\/v0\/datasources\/([^/]+)$/,
      (_req, name) =>
        fake_.datasources().includes(name)
          ? json(200, { name, schema: { columns: [] } })
          : error(404, `Data Source "${name}" does not exist`),
    ],
    [
      "GET",
      /^\/v0\/tokens\/([^/]+)$/,
      (_req, name) => {
        const token = fake.tokens.get(name);
        return token
          ? json(200, { name: token.name, scopes: token.scopes, token: token.token })
          : error(404, "Token not found");
      },
    ],
  ];

  async function handle(req: RecordedRequest): Promise<StubReply> {
    if (req.headers.authorization !== `Bearer ${ADMIN_TOKEN}`) return error(403, "Invalid token");
    if (kind === "classic" && req.path.startsWith("/v1/")) return error(404, "Not found");
    step();
    for (const [method, path, answer] of routes) {
      const match = path.exec(req.path);
      if (match && method === req.method) return answer(req, decodeURIComponent(match[1] ?? ""));
    }
    return error(404, `fake Tinybird has no ${req.method} ${req.path}`);
  }

  const server: StubServer = await startStub(async (req, res) => {
    const hook = hooks.findIndex((h) => h.call === callOf(req));
    if (hook >= 0) await hooks.splice(hook, 1)[0]!.action();
    const index = faults.findIndex(
      (f) =>
        f.method === req.method && (typeof f.path === "string" ? f.path === req.path : f.path.test(req.path)),
    );
    if (index >= 0) {
      const [fault] = faults.splice(index, 1);
      if (typeof fault!.reply === "function") {
        fault!.reply(res);
        return undefined;
      }
      return fault!.reply;
    }
    return handle(req);
  });

  const requireTables = () => {
    if (!tables) throw new Error("this fake Tinybird has no chDB session: startFakeTinybird({ session })");
    return tables;
  };
  const fake_: FakeTinybird = Object.assign(fake, {
    url: server.url,
    requests: server.requests,
    live,
    datasources: () => [...(live()?.plan.datasources.keys() ?? [])],
    pipes: () => [...(live()?.plan.pipes.keys() ?? [])],
    advance(steps = 1) {
      for (let i = 0; i < steps; i++) step();
    },
    failNext(errors: { filename: string; error: string }[]) {
      failure = errors;
    },
    warnNext(resource: string, message: string) {
      warnings.push({ level: "WARNING", resource, message });
    },
    seedLive(files: DeployedFile[], seed: { id?: string; tokenValues?: Record<string, string> } = {}) {
      const planned = planDeployment(files, []);
      if (planned.errors.length > 0) throw new Error(`seedLive: ${JSON.stringify(planned.errors)}`);
      const previous = live();
      if (previous) Object.assign(previous, { live: false, status: "deleted" });
      const d: FakeDeployment = {
        id: seed.id ?? String(nextId++),
        status: "live",
        live: true,
        autoPromote: false,
        files,
        plan: planned,
        stepsLeft: 0,
        feedback: [],
        errors: [],
      };
      if (tables) tables.promote({ ...planned, populate: [] }, previous?.plan);
      fake.deployments.push(d);
      syncTokens(d, seed.tokenValues);
    },
    ingest(datasource: string, events: (string | object)[]) {
      const ds = live()?.plan.datasources.get(datasource);
      if (!ds) throw new Error(`no live data source ${datasource}`);
      return requireTables().ingest(ds, events);
    },
    query: <T = Record<string, unknown>>(sql: string) => requireTables().query<T>(sql),
    count: (table: string) => requireTables().count(table),
    fault(method: string, path: string | RegExp, reply: Fault["reply"]) {
      faults.push({ method, path, reply });
    },
    beforeNext(call: string, action: () => unknown) {
      hooks.push({ call, action });
    },
    calls: () => server.requests.map(callOf),
    close: async () => {
      tables?.close();
      await server.close();
    },
  });
  return fake_;
}
