/**
 * The stack's two scoped tokens on Forward: declared in the datafiles (`TOKEN clerk_append APPEND`
 * in the landing data source, `TOKEN clerk_read READ` in the pipes over the Clerk data), created
 * by the deployment, and read back by name with the admin token.
 *
 * A stack first deployed on Classic made its tokens with the Tokens API, named after the data source
 * (`clerk_events_append`, `clerk_events_read`), and Tinybird's migration kept them, with their values
 * and scopes. Deploying the datafiles' names would mint new tokens and drop those (a Forward
 * deployment removes the tokens it no longer declares), cutting off the forwarder, whose secret holds
 * the old value. So when the workspace holds the Classic-named token with its scope, the deployment
 * declares that name instead: the token, and its value, stay.
 */
import { CommandError } from "../../../command-kit/command-shell";
import type { Datafile, TinybirdProject } from "../../../tinybird-model/project";
import type { TinybirdApi } from "./tinybird-api";

export interface TokenNames {
  append: string;
  /** Empty while no pipe over the Clerk data declares a READ token. */
  read: string;
}

/** The names a stack deployed on Classic used: still the names of its tokens after the migration. */
export const classicTokenNames = (dataSource: string): TokenNames => ({
  append: `${dataSource}_append`,
  read: `${dataSource}_read`,
});

const enc = encodeURIComponent;
const word = (name: string) => new RegExp(`(?<![A-Za-z0-9_])${name}(?![A-Za-z0-9_])`);

/** The pipes that read the landing data source or its rollups: the Clerk analytics. */
function clerkPipes(project: TinybirdProject) {
  const tables = [project.dataSource, ...project.rollups].map((d) => word(d.definition.name));
  return project.pipes.filter((p) => p.definition.nodes.some((n) => tables.some((t) => t.test(n.sql))));
}

/** The names this project's datafiles give the two tokens; a team's own tokens may sit beside them. */
export const PROJECT_TOKENS: TokenNames = { append: "clerk_append", read: "clerk_read" };

/** One name among several declared: the project's own if present, else the only one. */
function pick(declared: string[], own: string, what: string): string | undefined {
  if (declared.length <= 1) return declared[0];
  if (declared.includes(own)) return own;
  throw new CommandError(
    `${what} declare several tokens (${declared.join(", ")}) and none is "${own}": the stack outputs one, so ` +
      `declare TOKEN ${own} for it (a team's own tokens may sit beside it)`,
  );
}

/** The token names the datafiles declare for the forwarder (APPEND) and the Clerk endpoints (READ). */
export function declaredTokens(project: TinybirdProject): TokenNames {
  const ds = project.dataSource;
  const appends = [
    ...new Set(ds.definition.tokens.filter((t) => t.permission === "APPEND").map((t) => t.name)),
  ];
  const append = pick(appends, PROJECT_TOKENS.append, `tinybird/${ds.file.path}'s APPEND lines`);
  if (!append) {
    throw new CommandError(
      `tinybird/${ds.file.path} declares no APPEND token: add a line TOKEN clerk_append APPEND ` +
        "(on Forward, tokens exist only when the datafiles declare them)",
    );
  }
  const reads = [
    ...new Set(
      clerkPipes(project).flatMap((p) =>
        p.definition.tokens.filter((t) => t.permission === "READ").map((t) => t.name),
      ),
    ),
  ];
  return { append, read: pick(reads, PROJECT_TOKENS.read, "the pipes over the Clerk data") ?? "" };
}

/** Whether the workspace holds token `name` with the given scope on one of `resources`. */
async function holds(api: TinybirdApi, name: string, scope: string, resources: string[]): Promise<boolean> {
  const found = await api.request("GET", `/v0/tokens/${enc(name)}`, { accept: [403, 404], scope: "TOKENS" });
  if (found.status !== 200) return false;
  const scopes =
    (found.body as { scopes?: { type?: string; resource?: string }[] } | undefined)?.scopes ?? [];
  return scopes.some((s) => s.type === scope && (s.resource === undefined || resources.includes(s.resource)));
}

/**
 * The names this deployment gives the two tokens: the Classic names where the workspace still holds
 * those tokens (a migrated workspace), else the datafiles'.
 */
export async function tokenNamesInEffect(api: TinybirdApi, project: TinybirdProject): Promise<TokenNames> {
  const declared = declaredTokens(project);
  const classic = classicTokenNames(project.dataSource.definition.name);
  const pipes = clerkPipes(project).map((p) => p.definition.name);
  const [append, read] = await Promise.all([
    declared.append !== classic.append &&
      holds(api, classic.append, "DATASOURCES:APPEND", [project.dataSource.definition.name]),
    declared.read !== "" && declared.read !== classic.read && holds(api, classic.read, "PIPES:READ", pipes),
  ]);
  return { append: append ? classic.append : declared.append, read: read ? classic.read : declared.read };
}

const tokenLine = (name: string, permission: string) =>
  new RegExp(`^TOKEN[ \\t]+(?:"${name}"|'${name}'|${name})[ \\t]+${permission}[ \\t]*$`, "gm");

/** The project's files with the TOKEN lines of `from` declaring the names of `to` instead. */
export function renameTokens(files: Datafile[], from: TokenNames, to: TokenNames): Datafile[] {
  return files.map((file) => {
    let text = file.text;
    if (from.append !== to.append)
      text = text.replace(tokenLine(from.append, "APPEND"), `TOKEN ${to.append} APPEND`);
    if (from.read && from.read !== to.read)
      text = text.replace(tokenLine(from.read, "READ"), `TOKEN ${to.read} READ`);
    return text === file.text ? file : { ...file, text };
  });
}

/** The files without the TOKEN lines that grant the stack's two tokens (destroy: revokes them, keeps the rest). */
export function withoutTokens(files: Datafile[], names: TokenNames): Datafile[] {
  return files.map((file) => {
    let text = file.text.replace(tokenLine(names.append, "APPEND"), "");
    if (names.read) text = text.replace(tokenLine(names.read, "READ"), "");
    return text === file.text ? file : { ...file, text: text.replace(/\n{3,}/g, "\n\n") };
  });
}

/** A token's value, read with the admin token once the deployment that declares it is live. */
export async function readTokenValue(api: TinybirdApi, name: string): Promise<string> {
  const found = await api.request("GET", `/v0/tokens/${enc(name)}`, { accept: [404], scope: "TOKENS" });
  const value = (found.body as { token?: unknown } | undefined)?.token;
  if (found.status === 404 || typeof value !== "string" || value === "") {
    throw new CommandError(
      `the deployment is live but Tinybird did not give the value of token "${name}" (answer ${found.status}). ` +
        "Fix: use the workspace admin token (tinybirdAdminToken), which can read every token",
    );
  }
  return value;
}
