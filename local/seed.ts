/**
 * `npm run seed -- --days 90`: a realistic synthetic history (sign-ups, sign-ins, sessions ending,
 * deletions, organizations, e-mail/SMS deliveries, Svix re-deliveries) of the last N days, appended
 * to a running `npm start` through its Events API in batches, so the dashboard has something to show.
 */
import { type Command, EXIT, runMain } from "../command-kit/command-runner";
import { CommandError, networkCause } from "../command-kit/command-shell";
import { DEFAULT_DATASOURCE } from "../lambda/config";
import { localDataDir, notRunningOn, readRunningPipeline, readStoreToken } from "./data-folder";
import { generateHistory } from "./synthetic-history";

export const DEFAULT_LOCAL_URL = "http://127.0.0.1:8787";
const BATCH_LINES = 5_000;
/** Under the Events API's 10 MB request limit. */
const BATCH_BYTES = 8 * 1024 * 1024;
/** Sign-ups per day of history at the default scale (the generator's own density). */
const USERS_PER_DAY = 7;

export interface SeedOptions {
  url: string;
  /** The store token (npm start keeps it in its data folder). */
  token: string;
  days: number;
  seed?: number;
  now?: Date;
  dataSource?: string;
  fetch?: typeof fetch;
  progress?: (sent: number, total: number) => void;
  /**
   * When `url` is a guess (no npm start runs on the data folder): makes a failure's whole message from
   * what went wrong, saying so first.
   */
  guessed?: (failure: string) => string;
}

export interface SeedResult {
  events: number;
  lines: number;
  quarantined: number;
}

export async function seed(options: SeedOptions): Promise<SeedResult> {
  const history = generateHistory({
    days: options.days,
    users: Math.max(20, Math.round(options.days * USERS_PER_DAY)),
    now: options.now ?? new Date(),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  const doFetch = options.fetch ?? fetch;
  const target = `${options.url}/v0/events?name=${encodeURIComponent(options.dataSource ?? DEFAULT_DATASOURCE)}&wait=true`;
  let quarantined = 0;
  for (let start = 0; start < history.lines.length; ) {
    let end = start;
    for (let bytes = 0; end < history.lines.length && end - start < BATCH_LINES; end++) {
      bytes += Buffer.byteLength(history.lines[end]!) + 1;
      if (bytes > BATCH_BYTES && end > start) break;
    }
    const batch = history.lines.slice(start, end);
    const response = await doFetch(target, {
      method: "POST",
      headers: { authorization: `Bearer ${options.token}`, "content-type": "application/x-ndjson" },
      body: `${batch.join("\n")}\n`,
    }).catch((error: unknown) => {
      const reason = networkCause(error);
      if (reason === undefined) throw error;
      throw new CommandError(
        options.guessed?.(`it did not answer (${reason})`) ??
          `could not reach ${options.url} (${reason}) after ${start} lines: is npm start running there? Start it, or give its address with --url`,
        { cause: error },
      );
    });
    const body = (await response.json().catch(() => ({}))) as { quarantined_rows?: number; error?: string };
    if (!response.ok) {
      const answer = `${response.status} (${body.error ?? "no error message"})`;
      throw new CommandError(
        response.status === 403
          ? (options.guessed?.("it refused the store token (an npm start on another data folder?)") ??
              `${options.url} refused the store token: is it the npm start whose data folder is LOCAL_DATA_DIR?`)
          : (options.guessed?.(`it answered ${answer}`) ??
              `${options.url} answered ${answer} after ${start} lines: is npm start running there?`),
      );
    }
    quarantined += body.quarantined_rows ?? 0;
    options.progress?.(start + batch.length, history.lines.length);
    start = end;
  }
  return { events: history.events.length, lines: history.lines.length, quarantined };
}

const USAGE = `usage: npm run seed -- [--days N] [--url URL] [--seed N]
  Appends a synthetic history of Clerk events to a running npm start.
  --days N   days of history ending now (default 90)
  --url URL  the npm start server (default: the one running on LOCAL_DATA_DIR, else ${DEFAULT_LOCAL_URL})
  --seed N   random seed (default: a fixed one, so the same days give the same history)
The store token comes from npm start's data folder (LOCAL_DATA_DIR, default .local).`;

const OPTIONS = { days: { type: "string" }, url: { type: "string" }, seed: { type: "string" } } as const;

export interface SeedDeps {
  /** Tried when no --url is given and no npm start runs on the data folder (default DEFAULT_LOCAL_URL). */
  defaultUrl?: string;
}

/**
 * The summary on stdout, progress on the terminal; exit 0 when nothing was quarantined, 1 when
 * something was or the store refused, 2 without a store token or with --days it cannot use.
 */
export function seedCommand(deps: SeedDeps = {}): Command<typeof OPTIONS> {
  return {
    usage: USAGE,
    options: OPTIONS,
    async run({ values, env, io, progress }) {
      const days = Number(values.days ?? 90);
      if (!Number.isInteger(days) || days < 1 || days > 3650) {
        io.stderr(`--days "${values.days}" is not a whole number of days from 1 to 3650`);
        return EXIT.usage;
      }
      const dataDir = localDataDir(env);
      const token = readStoreToken(dataDir);
      if (!token) {
        io.stderr(
          `no store token in ${dataDir}: run npm start first, or set LOCAL_DATA_DIR to the folder the running npm start uses`,
        );
        return EXIT.usage;
      }
      const running = values.url ? undefined : readRunningPipeline(dataDir);
      const url = (values.url || running?.url || (deps.defaultUrl ?? DEFAULT_LOCAL_URL)).replace(/\/+$/, "");
      const guessed =
        values.url || running
          ? undefined
          : (failure: string) =>
              notRunningOn(
                env,
                `npm start's default address ${url}`,
                failure,
                "or give the address of the npm start to seed with --url.",
              );
      const started = Date.now();
      const line = progress<{ sent: number; total: number }>(
        Date,
        ({ sent, total }) => `${sent.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} lines sent`,
      );
      const result = await seed({
        url,
        token,
        days,
        ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
        progress: (sent, total) => line.update({ sent, total }, sent === total),
        ...(guessed ? { guessed } : {}),
      });
      line.finish();
      io.stdout(
        `${result.events} events (${result.lines} deliveries with Svix re-deliveries) over ${days} days in ${
          Date.now() - started
        } ms; ${result.quarantined} quarantined. Open ${url}/`,
      );
      return result.quarantined === 0 ? EXIT.ok : EXIT.failed;
    },
  };
}

if (require.main === module) void runMain(seedCommand());
