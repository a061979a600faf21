/**
 * Stateful stand-ins for Clerk's Backend API (the webhooks/Svix part) and the Svix API, on two local
 * stub servers. They speak the contracts the real clients expect: Clerk's `{"errors":[{code,message,
 * long_message}]}` and Svix's `{code, detail}` error shapes, one-time tokens that die on first use,
 * endpoints addressable by id or uid. Faults are queued per route to play outages and rate limits.
 * The app's messages and each endpoint's deliveries (listing, recover, replay-missing, resend) are
 * in svix-message-log.ts, the background tasks in svix-background-tasks.ts, behind the same token check.
 *
 * The Svix side follows the open-source server (github.com/svix/svix-webhooks, server/svix-server):
 * its error bodies (`error.rs`), its uid and event-type validation (`core/types/mod.rs`,
 * `v1/endpoints/endpoint/crud.rs`) and its authless one-time-token exchange (`v1/endpoints/auth.rs`).
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { listSampleTypes } from "../../local/send";
import { type RecordedRequest, type StubReply, type StubServer, startStub } from "./http-stub";
import { type FakeRecovery, MessageLog } from "./svix-message-log";

export const CLERK_KEY = "sk_test_fakeClerkSecretKey0123456789";

export interface FakeEndpoint {
  id: string;
  uid: string | null;
  url: string;
  description: string;
  /** Svix's field (svix 2 sends it); `filterTypes`, what svix 1 sent, is read as an alias. */
  eventTypes: string[] | null;
  metadata: Record<string, string>;
  /** Svix sets it after days of failed deliveries; the dashboard and PATCH can clear it. */
  disabled: boolean;
  secret: string;
  version: number;
  /** When Svix created it (default 2026-01-01T00:00:00Z). */
  createdAt?: string;
}

/** A stack's endpoint as the registration leaves it, for tests that start with one in place. */
export function deployedEndpoint(fields: Partial<FakeEndpoint> = {}): FakeEndpoint {
  return {
    id: "ep_1",
    uid: "clerk-tinybird.clerk-tinybird.prod",
    url: "https://example.execute-api.eu-west-1.amazonaws.com/webhooks/clerk",
    description: "clerk-tinybird",
    eventTypes: null,
    metadata: {},
    disabled: false,
    secret: "whsec_x",
    version: 1,
    ...fields,
  };
}

/** A canned answer, or a misbehaviour on the raw response (reset the socket, …). */
export type FaultReply = StubReply | ((res: ServerResponse) => void);

interface Fault {
  method: string;
  path: RegExp;
  reply: FaultReply;
  remaining: number;
}

export interface LoginLinkParts {
  appId: string;
  oneTimeToken: string;
  region: string;
}

/** The instance's users, organizations and memberships, as the Backend API serialises them. */
export interface FakeDirectory {
  users: Record<string, unknown>[];
  organizations: Record<string, unknown>[];
  memberships: Record<string, unknown>[];
}

export interface FakeOptions {
  /** What the list endpoints (GET /v1/users, /v1/organizations, /v1/organization_memberships) hold. */
  directory?: FakeDirectory;
  /** The clock the Backend API's rate limit and `clerkTimes` use (a test's virtual clock). */
  now?: () => number;
  /** Clerk's limit on the list endpoints: over it, 429 with Retry-After. Default: none. */
  rateLimit?: { limit: number; windowMs: number };
  appExists?: boolean;
  appId?: string;
  region?: string;
  /** How Clerk's svix_url is built; defaults to the documented `…#key=<base64 JSON>`. */
  loginLink?: (parts: LoginLinkParts) => unknown;
  /** Days Svix keeps messages (default 90). */
  retentionDays?: number;
}

export const standardLink = (parts: LoginLinkParts) =>
  `https://app.svix.com/login#key=${Buffer.from(JSON.stringify(parts)).toString("base64")}`;

const clerkError = (status: number, code: string, message: string): StubReply => ({
  status,
  body: { errors: [{ code, message, long_message: `${message} (long)` }] },
});

const svixError = (status: number, code: string, detail: string): StubReply => ({
  status,
  body: { code, detail },
});

/** Svix answers a missing app and a missing endpoint alike (`HttpError::not_found(None, None)`). */
const svixNotFound = () => svixError(404, "not_found", "Entity not found");

/** Svix's 422: `HTTPValidationError`, a `detail` list and no `code`. */
const svixInvalid = (field: string, msg: string): StubReply => ({
  status: 422,
  body: { detail: [{ loc: ["body", field], msg, type: "value_error" }] },
});

/** The event types Clerk registers in its Svix environment: one fixture per type. */
const CLERK_EVENT_TYPES = new Set(listSampleTypes());

/** An endpoint body as Svix reads it: `filterTypes` is the older name of `eventTypes`. */
function endpointBody(text: string): Partial<FakeEndpoint> {
  const { filterTypes, ...body } = JSON.parse(text) as Partial<FakeEndpoint> & {
    filterTypes?: string[] | null;
  };
  return filterTypes !== undefined && !("eventTypes" in body) ? { ...body, eventTypes: filterTypes } : body;
}

/** What svix-server refuses in an endpoint body before touching its store, or undefined. */
function invalidEndpoint(body: Partial<FakeEndpoint>, creating: boolean): StubReply | undefined {
  const { uid, eventTypes } = body;
  if (uid !== undefined && uid !== null) {
    if (uid === "") return svixInvalid("uid", "String must be at least one character");
    if (uid.length > 256) return svixInvalid("uid", "String too long");
    if (!/^[a-zA-Z0-9\-_.]+$/.test(uid)) {
      return svixInvalid("uid", "String must match the following pattern: [a-zA-Z0-9\\-_.].");
    }
    if (uid.startsWith("ep_"))
      return svixInvalid("uid", "Uids are not allowed to have the same prefix as the ID. Prefix with _?");
  }
  if (eventTypes !== undefined && eventTypes !== null) {
    if (creating && eventTypes.length === 0) return svixInvalid("eventTypes", "length must be at least 1");
    const missing = eventTypes.filter((t) => !CLERK_EVENT_TYPES.has(t));
    if (missing.length > 0) {
      return svixInvalid("eventTypes", `The following event types don't exist: ${missing.join(", ")}`);
    }
  }
  return undefined;
}

export type { FakeRecovery } from "./svix-message-log";

export interface ClerkSvixFake {
  clerk: StubServer;
  svix: StubServer;
  directory: FakeDirectory;
  /** When (on the `now` clock) each Backend API request arrived, in the order of `clerk.requests`. */
  clerkTimes: number[];
  recoveries: FakeRecovery[];
  /** The app's messages, each endpoint's delivery status, and what recover/replay/resend queued. */
  log: MessageLog;
  appId: string;
  appExists: boolean;
  endpoints: Map<string, FakeEndpoint>;
  /** One-time tokens handed out, in order. */
  issuedTokens: string[];
  /** Svix API tokens the exchange minted, in order. */
  mintedTokens: string[];
  /** The minted tokens nobody has logged out. */
  apiTokens: Set<string>;
  /** Queue `times` answers (or misbehaviours) for requests matching method and path, ahead of the fake. */
  fault(server: "clerk" | "svix", method: string, path: RegExp, reply: FaultReply, times?: number): void;
  setLoginLink(build: (parts: LoginLinkParts) => unknown): void;
  /** Every request both servers saw, in order. */
  all(): RecordedRequest[];
  close(): Promise<void>;
}

export async function startClerkSvixFake(options: FakeOptions = {}): Promise<ClerkSvixFake> {
  const faults: Record<"clerk" | "svix", Fault[]> = { clerk: [], svix: [] };
  const endpoints = new Map<string, FakeEndpoint>();
  const oneTimeTokens = new Map<string, boolean>();
  const apiTokens = new Set<string>();
  const mintedTokens: string[] = [];
  const issuedTokens: string[] = [];
  let loginLink = options.loginLink ?? standardLink;
  let endpointCount = 0;
  const state = {
    appId: options.appId ?? "app_2fakeSvixApp",
    appExists: options.appExists ?? false,
  };

  const takeFault = (server: "clerk" | "svix", req: RecordedRequest, res: ServerResponse) => {
    const fault = faults[server].find(
      (f) => f.remaining > 0 && f.method === req.method && f.path.test(req.path),
    );
    if (!fault) return { hit: false as const };
    fault.remaining -= 1;
    if (typeof fault.reply === "function") {
      fault.reply(res);
      return { hit: true as const, reply: undefined };
    }
    return { hit: true as const, reply: fault.reply };
  };

  const newLink = () => {
    const oneTimeToken = `ott_${randomBytes(12).toString("hex")}`;
    oneTimeTokens.set(oneTimeToken, false);
    issuedTokens.push(oneTimeToken);
    return loginLink({ appId: state.appId, oneTimeToken, region: options.region ?? "us" });
  };

  const directory: FakeDirectory = options.directory ?? { users: [], organizations: [], memberships: [] };
  const clerkTimes: number[] = [];
  const now = options.now ?? Date.now;
  const log = new MessageLog({
    now,
    ...(options.retentionDays ? { retentionDays: options.retentionDays } : {}),
  });

  /** Clerk's list endpoints: `limit` (1–500) and `offset`, `order_by` ±created_at, `total_count`. */
  const listDirectory = (req: RecordedRequest): StubReply | undefined => {
    const lists: Record<string, Record<string, unknown>[]> = {
      "/v1/users": directory.users,
      "/v1/users/count": directory.users,
      "/v1/organizations": directory.organizations,
      "/v1/organization_memberships": directory.memberships,
    };
    const items = lists[req.path];
    if (req.method !== "GET" || !items) return undefined;
    const at = now();
    if (options.rateLimit) {
      const { limit, windowMs } = options.rateLimit;
      const recent = clerkTimes.filter((t) => t > at - windowMs && t <= at).length;
      if (recent > limit) {
        return {
          ...clerkError(429, "too_many_requests", "Too many requests"),
          headers: { "retry-after": String(Math.ceil(windowMs / 1000)) },
        };
      }
    }
    if (req.path === "/v1/users/count")
      return { status: 200, body: { object: "total_count", total_count: items.length } };
    const limit = Number(req.query.get("limit") ?? 10);
    const offset = Number(req.query.get("offset") ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      return clerkError(422, "form_param_value_invalid", "limit must be between 1 and 500");
    }
    const order = req.query.get("order_by") ?? "-created_at";
    const sorted = [...items].sort((a, b) => Number(a.created_at) - Number(b.created_at));
    if (order === "-created_at") sorted.reverse();
    const page = sorted.slice(offset, offset + limit);
    // GET /v1/users answers a bare array; the other lists are paginated objects.
    return {
      status: 200,
      body: req.path === "/v1/users" ? page : { data: page, total_count: items.length },
    };
  };

  const clerk = await startStub((req, res) => {
    clerkTimes.push(now());
    const fault = takeFault("clerk", req, res);
    if (fault.hit) return fault.reply;
    if (req.headers.authorization !== `Bearer ${CLERK_KEY}`) {
      return clerkError(401, "authentication_invalid", "Unauthorized request");
    }
    const listed = listDirectory(req);
    if (listed) return listed;
    if (req.method === "POST" && req.path === "/v1/webhooks/svix") {
      if (state.appExists) return clerkError(400, "svix_app_exists", "Svix app already exists");
      state.appExists = true;
      return { status: 200, body: { svix_url: newLink() } };
    }
    if (req.method === "POST" && req.path === "/v1/webhooks/svix_url") {
      if (!state.appExists) return clerkError(400, "svix_app_missing", "Svix app is missing");
      return { status: 200, body: { svix_url: newLink() } };
    }
    if (req.method === "DELETE" && req.path === "/v1/webhooks/svix") {
      state.appExists = false;
      endpoints.clear();
      return { status: 204 };
    }
    return clerkError(404, "resource_not_found", "not found");
  });

  const findEndpoint = (idOrUid: string) =>
    [...endpoints.values()].find((e) => e.id === idOrUid || e.uid === idOrUid);

  const endpointJson = (e: FakeEndpoint) => ({
    id: e.id,
    uid: e.uid,
    url: e.url,
    description: e.description,
    eventTypes: e.eventTypes,
    metadata: e.metadata,
    version: e.version,
    disabled: e.disabled,
    createdAt: e.createdAt ?? "2026-01-01T00:00:00Z",
    updatedAt: e.createdAt ?? "2026-01-01T00:00:00Z",
  });

  const svix = await startStub((req, res) => {
    const fault = takeFault("svix", req, res);
    if (fault.hit) return fault.reply;
    if (req.method === "POST" && req.path === "/api/v1/auth/one-time-token") {
      const { oneTimeToken } = JSON.parse(req.text || "{}") as { oneTimeToken?: string };
      if (!oneTimeToken || oneTimeTokens.get(oneTimeToken) !== false) {
        return svixError(401, "authentication_failed", "One time token not found. Has it already been used?");
      }
      oneTimeTokens.set(oneTimeToken, true);
      const token = `sk_svix_${randomBytes(12).toString("hex")}`;
      apiTokens.add(token);
      mintedTokens.push(token);
      return { status: 200, body: { token, capabilities: ["ManageEndpoint", "ViewEndpointSecret"] } };
    }
    const auth = String(req.headers.authorization ?? "");
    if (!apiTokens.has(auth.replace(/^Bearer /, ""))) {
      return svixError(401, "authentication_failed", "Incorrect authentication credentials.");
    }
    if (req.method === "POST" && req.path === "/api/v1/auth/logout") {
      // "Logout an app token" (Svix API reference): the token stops working.
      apiTokens.delete(auth.replace(/^Bearer /, ""));
      return { status: 204 };
    }
    // Background tasks are listed for the whole environment, not under an app.
    const tasks = log.tasks.handle(req);
    if (tasks) return tasks;
    const logged = state.appExists ? log.handle(req, state.appId, findEndpoint) : undefined;
    if (logged) return logged;
    const m = /^\/api\/v1\/app\/([^/]+)\/endpoint(?:\/([^/]+))?(\/secret)?$/.exec(req.path);
    if (!m) return svixError(404, "not_found", "Route not found");
    const [, app, idOrUid, secretPath] = m;
    if (app !== state.appId || !state.appExists) return svixNotFound();
    if (!idOrUid) {
      if (req.method === "GET") {
        const limit = Number(req.query.get("limit") ?? 50);
        const data = [...endpoints.values()].slice(0, limit).map(endpointJson);
        return { status: 200, body: { data, done: data.length === endpoints.size, iterator: null } };
      }
      if (req.method !== "POST") return svixError(405, "method_not_allowed", "Method not allowed");
      const body = endpointBody(req.text);
      const invalid = invalidEndpoint(body, true);
      if (invalid) return invalid;
      if (body.uid && findEndpoint(body.uid)) return svixError(409, "conflict", "A conflict has occurred");
      endpointCount += 1;
      const endpoint: FakeEndpoint = {
        id: `ep_${endpointCount}`,
        uid: body.uid ?? null,
        url: body.url ?? "",
        description: body.description ?? "",
        eventTypes: body.eventTypes ?? null,
        metadata: body.metadata ?? {},
        disabled: body.disabled ?? false,
        secret: `whsec_${randomBytes(24).toString("base64")}`,
        version: 1,
      };
      endpoints.set(endpoint.id, endpoint);
      return { status: 201, body: endpointJson(endpoint) };
    }
    const endpoint = findEndpoint(decodeURIComponent(idOrUid));
    if (!endpoint) return svixNotFound();
    if (secretPath) return { status: 200, body: { key: endpoint.secret } };
    if (req.method === "GET") return { status: 200, body: endpointJson(endpoint) };
    if (req.method === "DELETE") {
      endpoints.delete(endpoint.id);
      return { status: 204 };
    }
    if (req.method === "PATCH") {
      const patch = endpointBody(req.text);
      const invalid = invalidEndpoint(patch, false);
      if (invalid) return invalid;
      for (const key of ["url", "description", "eventTypes", "metadata", "disabled"] as const) {
        if (key in patch) (endpoint as unknown as Record<string, unknown>)[key] = patch[key];
      }
      return { status: 200, body: endpointJson(endpoint) };
    }
    return svixError(405, "method_not_allowed", "Method not allowed");
  });

  return {
    clerk,
    svix,
    directory,
    clerkTimes,
    recoveries: log.recoveries,
    log,
    get appId() {
      return state.appId;
    },
    set appId(value: string) {
      state.appId = value;
    },
    get appExists() {
      return state.appExists;
    },
    set appExists(value: boolean) {
      state.appExists = value;
    },
    endpoints,
    issuedTokens,
    mintedTokens,
    apiTokens,
    fault(server, method, path, reply, times = 1) {
      faults[server].push({ method, path, reply, remaining: times });
    },
    setLoginLink(build) {
      loginLink = build;
    },
    all: () => [...clerk.requests, ...svix.requests],
    close: async () => {
      await Promise.all([clerk.close(), svix.close()]);
    },
  };
}
