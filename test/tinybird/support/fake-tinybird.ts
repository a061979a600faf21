/**
 * A Tinybird workspace on 127.0.0.1 that speaks the admin APIs the provisioning uses, Classic
 * (REST creation) or Forward (deployments), with state, so re-runs and destroys can be checked;
 * every request is recorded, and one-shot faults can be queued in front of any route.
 */
import type { ServerResponse } from "node:http";
import { type RecordedRequest, type StubReply, type StubServer, startStub } from "../../support/http-stub";

export const ADMIN_TOKEN = "p.admin-eyJ1IjoiYWRtaW4tdG9rZW4tc2VjcmV0In0";

export interface FakeColumn {
  name: string;
  type: string;
  jsonpath: string | null;
  default_value: string | null;
  nullable: boolean;
}

export interface FakeDataSource {
  name: string;
  schema: { columns: FakeColumn[] };
  engine: { engine: string; sorting_key?: string; partition_key?: string };
}

export interface FakeToken {
  name: string;
  token: string;
  description: string;
  scopes: { type: string; resource?: string }[];
  /** Declared in a Forward datafile (removed by a deployment that no longer declares it). */
  fromDeployment?: boolean;
}

export interface FakeDeployment {
  id: string;
  status: string;
  live: boolean;
  files: { field: string; filename: string; text: string }[];
  /** How many more status polls before it is data_ready. */
  pollsLeft: number;
}

type Fault = {
  method: string;
  path: string | RegExp;
  reply: StubReply | ((res: ServerResponse) => void);
};

export interface FakeTinybird {
  url: string;
  requests: RecordedRequest[];
  kind: "classic" | "forward";
  datasources: Map<string, FakeDataSource>;
  tokens: Map<string, FakeToken>;
  /** Classic: the JSON bodies received; Forward: the deployed .pipe texts. */
  pipes: Map<string, unknown>;
  deployments: FakeDeployment[];
  /** Polls a new deployment needs before it is ready (default 1). */
  pollsPerDeployment: number;
  /** Classic populate jobs started by `POST /v0/pipes?populate=true`, by id. */
  jobs: Map<string, { pollsLeft: number }>;
  /** Polls a populate job needs before it is done (default 1; 0: done when created). */
  pollsPerJob: number;
  /** Queues a one-shot answer for the next matching request. */
  fault(method: string, path: string | RegExp, reply: StubReply | ((res: ServerResponse) => void)): void;
  /** Every request so far as `METHOD /path?query`, in order. */
  calls(): string[];
  close(): Promise<void>;
}

const json = (status: number, body: unknown): StubReply => ({ status, body });
const error = (status: number, message: string) => json(status, { error: message });
const FORWARD_ONLY =
  "Adding or modifying pipes or data sources in Tinybird Forward can only be done via deployments";

let counter = 0;
const newToken = (name: string) => `p.${name}-eyJpZCI6${++counter}In0-value`;

function parseSchema(schema: string): FakeColumn[] {
  return schema.split(/,\s*(?=`)/).map((part) => {
    const m = /^`([^`]+)`\s+(.+?)(?:\s+`json:([^`]*)`)?(?:\s+DEFAULT\s+(.+))?$/.exec(part.trim());
    if (!m) throw new Error(`fake cannot read column ${part}`);
    return { name: m[1]!, type: m[2]!, jsonpath: m[3] ?? null, default_value: m[4] ?? null, nullable: false };
  });
}

const form = (req: RecordedRequest) => new URLSearchParams(req.text);

/** The file parts of a multipart request, as a deployment receives them. */
export async function multipartFiles(req: RecordedRequest): Promise<FakeDeployment["files"]> {
  const data = await new Response(new Uint8Array(req.body), {
    headers: { "content-type": String(req.headers["content-type"]) },
  }).formData();
  const files: FakeDeployment["files"] = [];
  for (const [field, value] of data.entries()) {
    if (typeof value !== "string") files.push({ field, filename: value.name, text: await value.text() });
  }
  return files;
}
const baseName = (filename: string) => filename.slice(filename.lastIndexOf("/") + 1).replace(/\.[^.]+$/, "");

export async function startFakeTinybird(kind: "classic" | "forward"): Promise<FakeTinybird> {
  const faults: Fault[] = [];
  const fake = {
    kind,
    datasources: new Map<string, FakeDataSource>(),
    tokens: new Map<string, FakeToken>(),
    pipes: new Map<string, unknown>(),
    deployments: [] as FakeDeployment[],
    pollsPerDeployment: 1,
    jobs: new Map<string, { pollsLeft: number }>(),
    pollsPerJob: 1,
  };

  function formatToken(t: FakeToken) {
    return { name: t.name, description: t.description, scopes: t.scopes, token: t.token };
  }

  function scopesFrom(values: string[]) {
    return values.map((s) => {
      const [a, b, resource] = s.split(":");
      return resource ? { type: `${a}:${b}`, resource } : { type: `${a}:${b}` };
    });
  }

  async function deploy(req: RecordedRequest): Promise<StubReply> {
    const files = await multipartFiles(req);
    const sources = files.filter((f) => f.filename.endsWith(".datasource")).map((f) => baseName(f.filename));
    const pipes = files.filter((f) => f.filename.endsWith(".pipe")).map((f) => baseName(f.filename));
    const deletedSources = [...fake.datasources.keys()].filter((n) => !sources.includes(n));
    const deletedPipes = [...fake.pipes.keys()].filter((n) => !pipes.includes(n));
    const id = String(fake.deployments.length + 1);
    const summary = {
      id,
      new_datasource_names: sources.filter((n) => !fake.datasources.has(n)),
      new_pipe_names: pipes.filter((n) => !fake.pipes.has(n)),
      deleted_datasource_names: deletedSources,
      deleted_pipe_names: deletedPipes,
    };
    if (deletedSources.length > 0 && req.query.get("allow_destructive_operations") !== "true") {
      return json(200, {
        result: "failed",
        deployment: {
          ...summary,
          status: "failed",
          feedback: deletedSources.map((n) => ({
            level: "ERROR",
            resource: `Datasource ${n}.datasource`,
            message: `Removing this data source is a destructive operation: it deletes its data`,
          })),
          errors: [],
        },
      });
    }
    const live = fake.deployments.find((d) => d.live);
    const same =
      live &&
      live.files.length === files.length &&
      live.files.every((f, i) => f.filename === files[i]!.filename && f.text === files[i]!.text);
    if (same) return json(200, { result: "no_changes" });
    const deployment: FakeDeployment = {
      id,
      status: "calculating",
      live: false,
      files,
      pollsLeft: fake.pollsPerDeployment,
    };
    fake.deployments.push(deployment);
    return json(200, {
      result: "success",
      deployment: { ...summary, status: deployment.status, live: false, feedback: [], errors: [] },
    });
  }

  function setLive(deployment: FakeDeployment): void {
    for (const d of fake.deployments) d.live = false;
    deployment.live = true;
    fake.datasources.clear();
    fake.pipes.clear();
    const declared = new Map<string, { type: string; resource: string }[]>();
    for (const f of deployment.files) {
      const name = baseName(f.filename);
      if (f.filename.endsWith(".datasource")) {
        fake.datasources.set(name, { name, schema: { columns: [] }, engine: { engine: "MergeTree" } });
      } else {
        fake.pipes.set(name, f.text);
      }
      for (const m of f.text.matchAll(/^TOKEN\s+"?([\w]+)"?\s+(\w+)\s*$/gm)) {
        const kindOf = f.filename.endsWith(".datasource") ? "DATASOURCES" : "PIPES";
        declared.set(m[1]!, [...(declared.get(m[1]!) ?? []), { type: `${kindOf}:${m[2]}`, resource: name }]);
      }
    }
    for (const [name, token] of fake.tokens)
      if (token.fromDeployment && !declared.has(name)) fake.tokens.delete(name);
    for (const [name, scopes] of declared) {
      const existing = fake.tokens.get(name);
      fake.tokens.set(name, {
        name,
        token: existing?.token ?? newToken(name),
        description: "",
        scopes,
        fromDeployment: true,
      });
    }
  }

  function deployment(id: string): FakeDeployment | undefined {
    return fake.deployments.find((d) => d.id === id);
  }

  type Route = [
    method: string,
    path: RegExp,
    answer: (req: RecordedRequest, name: string) => StubReply | Promise<StubReply>,
  ];
  const routes: Route[] = [
    // Tinybird's CLI tells Forward by this answer; a Classic workspace has no /v1/workspace.
    [
      "GET",
      /^\/v1\/workspace$/,
      () =>
        kind === "forward"
          ? json(200, { id: "ws_1", name: "clerk", release: "forward" })
          : error(404, "Not found"),
    ],
    [
      "GET",
      /^\/v1\/deployments$/,
      () =>
        kind === "classic"
          ? error(404, "Not found")
          : json(200, {
              deployments: fake.deployments.map(({ id, status, live }) => ({ id, status, live })),
            }),
    ],
    ["POST", /^\/v1\/deploy$/, (req) => (kind === "forward" ? deploy(req) : error(404, "Not found"))],
    [
      "GET",
      /^\/v1\/deployments\/([^/]+)$/,
      (_req, id) => {
        const d = deployment(id);
        if (!d) return error(404, "Deployment not found");
        if (d.status === "calculating" && d.pollsLeft-- <= 0) d.status = "data_ready";
        return json(200, { result: "success", deployment: { id: d.id, status: d.status, live: d.live } });
      },
    ],
    [
      "POST",
      /^\/v1\/deployments\/([^/]+)\/set-live$/,
      (_req, id) => {
        const d = deployment(id);
        if (!d) return error(404, "Deployment not found");
        if (d.status !== "data_ready") return error(400, "Deployment is not ready");
        setLive(d);
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
        d.status = "deleted";
        return json(200, { result: "success" });
      },
    ],
    [
      "GET",
      /^\/v0\/datasources\/([^/]+)$/,
      (_req, name) => {
        const ds = fake.datasources.get(name);
        return ds ? json(200, ds) : error(404, `Data Source "${name}" does not exist`);
      },
    ],
    [
      "DELETE",
      /^\/v0\/datasources\/([^/]+)$/,
      (_req, name) => {
        if (kind === "forward") return error(403, FORWARD_ONLY);
        if (!fake.datasources.delete(name)) return error(404, `Data Source "${name}" does not exist`);
        return { status: 204 };
      },
    ],
    ["POST", /^\/v0\/datasources$/, (req) => createDataSource(req)],
    [
      "GET",
      /^\/v0\/tokens\/([^/]+)$/,
      (_req, name) => {
        const token = fake.tokens.get(name);
        return token ? json(200, formatToken(token)) : error(404, "Token not found");
      },
    ],
    [
      "DELETE",
      /^\/v0\/tokens\/([^/]+)$/,
      (_req, name) => (fake.tokens.delete(name) ? json(200, { ok: true }) : error(404, "Token not found")),
    ],
    [
      "PUT",
      /^\/v0\/tokens\/([^/]+)$/,
      (req, name) => {
        const token = fake.tokens.get(name);
        if (!token) return error(404, "Static Token not found");
        token.scopes = scopesFrom(form(req).getAll("scope"));
        return json(200, { name: token.name, description: token.description, scopes: token.scopes });
      },
    ],
    ["POST", /^\/v0\/tokens\/$/, (req) => createToken(req)],
    [
      "POST",
      /^\/v0\/pipes$/,
      (req) => {
        if (kind === "forward") return error(403, FORWARD_ONLY);
        const body = JSON.parse(req.text) as { name: string };
        if (fake.pipes.has(body.name) && req.query.get("force") !== "true") {
          return error(
            409,
            `There is already a Pipe with name "${body.name}". Pipe names must be globally unique`,
          );
        }
        const materialized = (body as { nodes?: { type?: string; datasource?: string }[] }).nodes?.find(
          (n) => n.type === "materialized",
        );
        if (materialized && !fake.datasources.has(materialized.datasource ?? "")) {
          return error(400, `Data Source "${materialized.datasource}" does not exist`);
        }
        fake.pipes.set(body.name, body);
        if (materialized && req.query.get("populate") === "true") {
          const id = `job_${body.name}`;
          fake.jobs.set(id, { pollsLeft: fake.pollsPerJob });
          const status = fake.pollsPerJob > 0 ? "waiting" : "done";
          return json(200, { ...body, id: `t_${body.name}`, job: { id, job_id: id, status } });
        }
        return json(200, { ...body, id: `t_${body.name}` });
      },
    ],
    ["GET", /^\/v0\/pipes\/([^/]+)$/, (_req, name) => describePipe(name)],
    [
      "GET",
      /^\/v0\/jobs\/([^/]+)$/,
      (_req, id) => {
        const job = fake.jobs.get(id);
        if (!job) return error(404, "Job not found");
        return json(200, { id, status: job.pollsLeft-- > 0 ? "working" : "done" });
      },
    ],
    [
      "DELETE",
      /^\/v0\/pipes\/([^/]+)$/,
      (_req, name) => {
        if (kind === "forward") return error(403, FORWARD_ONLY);
        return fake.pipes.delete(name) ? { status: 204 } : error(404, `Pipe "${name}" not found`);
      },
    ],
  ];

  /**
   * `GET /v0/pipes/<name>` as Tinybird answers it (pipe.to_json): every node with the tables it reads,
   * `dependencies`, which Tinybird's SQL parser finds and this finds by whole-word match.
   */
  function describePipe(name: string): StubReply {
    const pipe = fake.pipes.get(name) as { name: string; nodes: { name: string; sql: string }[] } | undefined;
    if (!pipe) return error(404, `Pipe "${name}" not found`);
    const tables = [...fake.datasources.keys(), ...pipe.nodes.map((n) => n.name)];
    const reads = (sql: string, table: string) => new RegExp(`(?<![\\w.])${table}(?![\\w])`).test(sql);
    return json(200, {
      id: `t_${name}`,
      name,
      nodes: pipe.nodes.map((n) => ({ ...n, dependencies: tables.filter((t) => reads(n.sql, t)) })),
    });
  }

  function createDataSource(req: RecordedRequest): StubReply {
    if (kind === "forward") return error(403, FORWARD_ONLY);
    const f = form(req);
    const name = f.get("name")!;
    if (f.get("format") !== "ndjson" && f.get("schema")?.includes("json:")) {
      return error(400, "jsonpaths are only supported with format=ndjson");
    }
    if (fake.datasources.has(name)) return error(400, `Data Source "${name}" already exists`);
    const ds: FakeDataSource = {
      name,
      schema: { columns: parseSchema(f.get("schema")!) },
      engine: {
        engine: f.get("engine") ?? "MergeTree",
        sorting_key: f.get("engine_sorting_key") ?? undefined,
        partition_key: f.get("engine_partition_key") ?? undefined,
      },
    };
    fake.datasources.set(name, ds);
    return json(200, { datasource: ds });
  }

  function createToken(req: RecordedRequest): StubReply {
    const f = form(req);
    const name = f.get("name")!;
    if (fake.tokens.has(name)) return error(400, `Token with name "${name}" already exists`);
    const token: FakeToken = {
      name,
      token: newToken(name),
      description: f.get("description") ?? "",
      scopes: scopesFrom(f.getAll("scope")),
    };
    fake.tokens.set(name, token);
    return json(200, formatToken(token));
  }

  async function handle(req: RecordedRequest): Promise<StubReply> {
    if (req.headers.authorization !== `Bearer ${ADMIN_TOKEN}`) return error(403, "Invalid token");
    for (const [method, path, answer] of routes) {
      const match = path.exec(req.path);
      if (match && method === req.method) return answer(req, decodeURIComponent(match[1] ?? ""));
    }
    return error(404, `fake Tinybird has no ${req.method} ${req.path}`);
  }

  const server: StubServer = await startStub(async (req, res) => {
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

  return Object.assign(fake, {
    url: server.url,
    requests: server.requests,
    fault(method: string, path: string | RegExp, reply: Fault["reply"]) {
      faults.push({ method, path, reply });
    },
    calls: () => server.requests.map((r) => `${r.method} ${r.path}${r.query.size ? `?${r.query}` : ""}`),
    close: () => server.close(),
  });
}
