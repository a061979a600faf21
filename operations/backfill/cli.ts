/**
 * `npm run backfill [-- --stack <name>]`: appends the instance's existing users, organizations and
 * memberships to the data source as the events that created them. Inputs are environment variables
 * (see docs/backfill-and-recover.md), or the deployed stack's settings with `--stack`. Progress on
 * stderr, the summary on stdout; exit 0 only when Tinybird acknowledged every row.
 */
import { parseArgs } from "node:util";
import { type Clock, systemClock } from "../clock";
import { type CliIO, Progress } from "../progress";
import { type PulumiCli, pulumiCli, readStackSettings } from "../stack-settings";
import { createClerkLists } from "./clerk-lists";
import { describeReport } from "./report";
import { runBackfill } from "./run";
import { readBackfillSettings, stackEnvironment } from "./settings";
import { createAppender } from "./tinybird-append";

export type { CliIO } from "../progress";

export interface CliDeps {
  clock?: Clock;
  pulumi?: PulumiCli;
  /** Tries per request (tests shorten it). */
  attempts?: number;
  /** Objects per Clerk page (tests use small pages). */
  pageSize?: number;
}

const USAGE =
  "usage: npm run backfill [-- --stack <name>]\n" +
  "  without --stack: CLERK_SECRET_KEY, TINYBIRD_HOST, TINYBIRD_TOKEN (append), and optionally CLERK_API_URL,\n" +
  "  TINYBIRD_DATASOURCE, REDACT_PATHS, PSEUDONYMIZE_PERSONAL_DATA, PSEUDONYMIZATION_KEY";

export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: CliIO,
  deps: CliDeps = {},
): Promise<number> {
  const clock = deps.clock ?? systemClock;
  const fail = (line: string) => io.stderr.write(`${line}\n`);
  let stack: string | undefined;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { stack: { type: "string" }, help: { type: "boolean" } },
    });
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    stack = values.stack;
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }

  let inputs = env;
  if (stack !== undefined) {
    try {
      inputs = stackEnvironment(await readStackSettings(stack, deps.pulumi ?? pulumiCli), env);
    } catch (error) {
      fail((error as Error).message);
      return 1;
    }
  }
  const read = readBackfillSettings(inputs);
  if (!read.ok) {
    const from = stack !== undefined ? ` (from stack "${stack}")` : "";
    fail(`The backfill cannot start${from}:\n${read.problems.map((p) => `  - ${p}`).join("\n")}\n${USAGE}`);
    return 1;
  }
  const { settings } = read;
  const report = await runBackfill({
    lists: createClerkLists({
      secretKey: settings.clerkSecretKey,
      apiUrl: settings.clerkApiUrl,
      clock,
      ...(deps.attempts ? { attempts: deps.attempts } : {}),
      ...(deps.pageSize ? { pageSize: deps.pageSize } : {}),
    }),
    append: createAppender({
      host: settings.tinybirdHost,
      dataSource: settings.dataSource,
      token: settings.tinybirdToken,
      clock,
      ...(deps.attempts ? { attempts: deps.attempts } : {}),
    }),
    redact: settings.redact,
    clock,
    progress: new Progress(io.stderr, clock),
  });
  const lines = describeReport(report, settings.dataSource);
  for (const line of lines) (report.ok ? io.stdout : fail)(line);
  return report.ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env, {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: process.stderr,
  }).then((code) => {
    process.exitCode = code;
  });
}
