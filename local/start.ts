/**
 * `npm start`: the whole pipeline on this machine, nothing to sign up for. The forwarder on its own
 * webhook port (WEBHOOK_PORT, default 8789), a Tinybird-compatible store built from tinybird/
 * (persisted in LOCAL_DATA_DIR, default .local/) and the dashboard (PORT, default 8787), all bound to
 * 127.0.0.1. Like `tb dev`, it watches tinybird/ and applies a change while running, rebuilding what
 * the change touches from the stored events.
 */
import { join, resolve } from "node:path";
import { type Command, InputProblems, runMain } from "../command-kit/command-runner";
import { CommandError } from "../command-kit/command-shell";
import { portInUse, readPort } from "../command-kit/local-http";
import { buildDashboard } from "../dashboard-app/assets";
import { WEBHOOK_PATH } from "../lambda/request";
import { ProjectSyncError, RebuildStoppedError, type SyncReport } from "../tinybird-model/chdb-project";
import { hashDatafiles, loadProject } from "../tinybird-model/project";
import { DAMAGED_PARTS_CHOICES, type DamagedPartsChoice } from "./damaged-parts";
import {
  localDataDir,
  localSigningSecret,
  localStoreToken,
  readRunningPipeline,
  recordRunning,
} from "./data-folder";
import { startLocalServer } from "./server";
import { LocalStore } from "./store";
import { terminalLine } from "./terminal-log";

export const DEFAULT_PORT = 8787;
/** The webhook's own port: the one a tunnel exposes. */
export const DEFAULT_WEBHOOK_PORT = 8789;
const ROOT = resolve(__dirname, "..");
/**
 * How often npm start reads tinybird/'s datafiles for a change. Read, not watched: Linux's inotify
 * loses a file an editor or git replaced by renaming, and Node's recursive fs.watch with it.
 */
const WATCH_INTERVAL_MS = 300;

/** What npm start prints: where everything is and the commands that feed it. */
export function startBanner(options: {
  url: string;
  webhookUrl: string;
  secretFrom: string;
  dataDir: string;
  defaultDataDir: boolean;
}): string {
  const { url, webhookUrl, dataDir } = options;
  const env = options.defaultDataDir ? "" : `LOCAL_DATA_DIR=${dataDir} `;
  const webhookBase = webhookUrl.slice(0, -WEBHOOK_PATH.length);
  // A restart must open the same folder on the same ports (the ports it got when started on 0: the
  // tunnel points at that webhook port).
  const port = Number(new URL(url).port || 80);
  const webhookPort = Number(new URL(webhookUrl).port || 80);
  const restart =
    env +
    (port === DEFAULT_PORT ? "" : `PORT=${port} `) +
    (webhookPort === DEFAULT_WEBHOOK_PORT ? "" : `WEBHOOK_PORT=${webhookPort} `);
  return [
    "",
    `  Dashboard        ${url}/`,
    `  Webhook URL      ${webhookUrl}   (its own port: the only one to expose)`,
    `  Signing secret   from ${options.secretFrom}`,
    `  Store API        ${url}/v0/events, ${url}/v0/pipes/<name>.json   (token: ${join(dataDir, "store-token")})`,
    `  Data             ${dataDir}   (kept across restarts and datafile changes)`,
    "",
    "  Feed it, in another terminal:",
    `    sample events         ${env}npm run send`,
    `    90 days of history    ${env}npm run seed -- --days 90`,
    `    a Clerk dev instance  tunnel the webhook port only, e.g. cloudflared tunnel --url ${webhookBase}`,
    `                          add the endpoint <tunnel URL>${WEBHOOK_PATH} in Clerk's dashboard (Webhooks), and restart with`,
    `                          ${restart}CLERK_WEBHOOK_SECRET=<that endpoint's signing secret> npm start`,
    "",
    "  Watching tinybird/: a datafile change is applied while running, keeping the data.",
    "",
  ].join("\n");
}

/** One line saying what a sync of the store did; undefined when it changed nothing. */
export function describeSync(report: SyncReport, ms: number): string | undefined {
  const parts: string[] = [];
  if (report.created) parts.push("created the tables and views");
  if (report.migrated)
    parts.push(
      `migrated ${report.migrated.to} (${report.migrated.rows.toLocaleString("en")} events ${report.migrated.how})`,
    );
  if (report.rebuilt.length > 0)
    parts.push(
      `rebuilt ${report.rebuilt.map((r) => `${r.table} (${r.rows.toLocaleString("en")} rows)`).join(", ")} from ${report.landingRows.toLocaleString("en")} stored events`,
    );
  if (!report.created && report.views.length > 0) parts.push(`views ${report.views.join(", ")}`);
  if (report.dropped.length > 0) parts.push(`removed ${report.dropped.join(", ")}`);
  return parts.length === 0 ? undefined : `${parts.join("; ")} in ${(ms / 1000).toFixed(1)} s`;
}

/** What to say when an npm start already runs on `dataDir`: where, and how to run a second one. */
export function alreadyRunning(dataDir: string, port: number, webhookPort: number): string | undefined {
  const running = readRunningPipeline(dataDir);
  if (!running) return undefined;
  return (
    `npm start already runs on ${dataDir} (process ${running.pid}): dashboard ${running.url}/, webhook ${running.webhookUrl}. ` +
    `Use that one, stop it (Ctrl-C in its terminal, or kill ${running.pid}), or start another with its own folder and ports: ` +
    // Port 0 (any free port) stays 0.
    `LOCAL_DATA_DIR=.local-2 PORT=${port && port + 10} WEBHOOK_PORT=${webhookPort && webhookPort + 10} npm start`
  );
}

export interface DatafileWatcher {
  close(): void;
}

/**
 * Applies each change of `<root>/tinybird/` to the running store, one at a time, printing what it
 * rebuilt (or why the change was not applied: the store then keeps serving the previous datafiles).
 * A change is applied once two reads `intervalMs` apart agree: editors and git write in several steps.
 */
export function watchDatafiles(
  store: LocalStore,
  root: string,
  print: (line: string) => void,
  intervalMs = WATCH_INTERVAL_MS,
): DatafileWatcher {
  const read = () => {
    try {
      return hashDatafiles(root);
    } catch {
      return undefined; // a file between two steps of a save
    }
  };
  const apply = async () => {
    const started = Date.now();
    let project: ReturnType<typeof loadProject>;
    try {
      project = loadProject(root);
    } catch (error) {
      print(
        `tinybird/ changed, not applied: ${(error as Error).message} (the store keeps the previous datafiles)`,
      );
      return;
    }
    try {
      const report = await store.reload(project);
      print(
        `tinybird/ changed: ${describeSync(report, Date.now() - started) ?? "endpoints reloaded, no stored data touched"}`,
      );
    } catch (error) {
      print(
        error instanceof RebuildStoppedError
          ? `tinybird/ changed: ${error.message}; until then the endpoints answer this error instead of partial figures`
          : error instanceof ProjectSyncError
            ? `tinybird/ changed, not applied: ${error.message} (the store keeps the previous datafiles)`
            : `tinybird/ changed: ${(error as Error).message}`,
      );
    }
  };
  let applied = read();
  let seen = applied;
  let applying = false;
  const timer = setInterval(() => {
    if (applying) return;
    const now = read();
    const settled = now !== undefined && now === seen;
    seen = now;
    if (!settled || now === applied) return;
    applied = now;
    applying = true;
    void apply().finally(() => {
      applying = false;
    });
  }, intervalMs);
  return { close: () => clearInterval(timer) };
}

const USAGE = `usage: npm start [-- --damaged-parts=set-aside|delete]
  The whole pipeline on this machine.
  --damaged-parts=set-aside  start although chDB found damaged parts: move them to <data folder>/damaged-parts/
  --damaged-parts=delete     the same, deleting them
Environment: PORT (dashboard and store API, default ${DEFAULT_PORT}), WEBHOOK_PORT (default ${DEFAULT_WEBHOOK_PORT}),
LOCAL_DATA_DIR (default .local), CLERK_WEBHOOK_SECRET (a Clerk endpoint's secret instead of the generated one),
LOG_FORMAT=json (the forwarder's JSON log lines on a terminal too; piped, they always are).`;

/** Serves until interrupted (Ctrl-C), then closes the servers and the store, losing nothing. */
export const startCommand: Command<{ "damaged-parts": { type: "string" } }> = {
  usage: USAGE,
  options: { "damaged-parts": { type: "string" } },
  async run({ values, env, io, untilInterrupted }) {
    const problems: string[] = [];
    const damagedParts = values["damaged-parts"];
    if (damagedParts !== undefined && !(DAMAGED_PARTS_CHOICES as readonly string[]).includes(damagedParts))
      problems.push(`--damaged-parts=${damagedParts}: choose ${DAMAGED_PARTS_CHOICES.join(" or ")}`);
    const port = readPort(env, "PORT", DEFAULT_PORT, problems);
    const webhookPort = readPort(env, "WEBHOOK_PORT", DEFAULT_WEBHOOK_PORT, problems);
    if (problems.length > 0) throw new InputProblems("npm start cannot start", problems);
    const dataDir = localDataDir(env);
    const running = alreadyRunning(dataDir, port, webhookPort);
    if (running) throw new CommandError(running);
    const project = loadProject(ROOT);
    io.stderr(`opening the local store in ${dataDir} …`);
    const started = Date.now();
    const opened = await LocalStore.open({
      dataDir,
      project,
      ...(damagedParts ? { damagedParts: damagedParts as DamagedPartsChoice } : {}),
      progress: (line) => io.stderr(`  ${line}`),
      warn: io.stderr,
    });
    if (!opened.ok) throw new CommandError(opened.problem);
    const { store } = opened;
    for (const part of opened.damaged)
      io.stderr(
        `damaged part ${part.table}/${part.part} (${part.rows ?? "unknown"} rows) ${damagedParts === "delete" ? "deleted" : "moved to damaged-parts/"}`,
      );
    const built = describeSync(opened.report, Date.now() - started);
    if (built) io.stderr(`tinybird/: ${built}`);
    const secret = localSigningSecret(env, dataDir);
    const server = await startLocalServer({
      store,
      storeToken: localStoreToken(dataDir),
      signingSecret: secret.secret,
      dashboard: await buildDashboard(),
      dataSource: project.dataSource.definition.name,
      port,
      webhookPort,
      // A person reads a terminal; a pipe (a log collector, a test) gets the forwarder's JSON lines.
      log:
        process.stdout.isTTY && env.LOG_FORMAT !== "json"
          ? (line) => io.stdout(terminalLine(line))
          : io.stdout,
    }).catch(async (error: unknown) => {
      await store.close();
      return portInUse(`PORT=${port + 10} WEBHOOK_PORT=${webhookPort + 10} npm start`)(error);
    });
    const forget = recordRunning(dataDir, {
      url: server.url,
      webhookUrl: server.webhookUrl,
      signingSecret: secret.from === "CLERK_WEBHOOK_SECRET" ? "CLERK_WEBHOOK_SECRET" : "file",
    });
    const watcher = watchDatafiles(store, ROOT, io.stderr);
    io.stdout(
      `${startBanner({
        url: server.url,
        webhookUrl: server.webhookUrl,
        secretFrom: secret.from,
        dataDir,
        defaultDataDir: !env.LOCAL_DATA_DIR?.trim(),
      })}`,
    );
    await untilInterrupted();
    watcher.close();
    forget();
    await server.close();
    await store.close();
    const { commits, items } = store.groupStats(project.dataSource.definition.name);
    const { batches } = store.catchUpStats();
    const plural = (n: number, one: string, more = `${one}s`) => `${n} ${n === 1 ? one : more}`;
    io.stderr(
      items > 0
        ? `npm start: stopped; ${plural(items, "append")} to ${project.dataSource.definition.name} in ${plural(commits, "insert")}, taken by the rollups in ${plural(batches, "batch", "batches")}`
        : "npm start: stopped",
    );
  },
};

if (require.main === module) void runMain(startCommand);
