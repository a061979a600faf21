/**
 * `npm run backfill [-- --stack <name>]`: appends the instance's existing users, organizations and
 * memberships to the data source as the events that created them. Inputs are environment variables
 * (see docs/backfill-and-recover.md), or the deployed stack's settings with `--stack`. Progress on
 * stderr, the summary on stdout; exit 0 only when Tinybird acknowledged every row.
 */
import { type Command, EXIT, InputProblems, runMain } from "../../command-kit/command-runner";
import { type PulumiCli, pulumiCli } from "../../stack-access/pulumi-cli";
import { readStackSettings } from "../../stack-access/stack-settings";
import { type Clock, systemClock } from "../clock";
import { createClerkLists } from "./clerk-lists";
import { describeReport } from "./report";
import { runBackfill } from "./run";
import { readBackfillSettings, stackEnvironment } from "./settings";
import { createAppender } from "./tinybird-append";

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

export function backfillCommand(deps: CliDeps = {}): Command<{ stack: { type: "string" } }> {
  const clock = deps.clock ?? systemClock;
  const tries = deps.attempts ? { attempts: deps.attempts } : {};
  return {
    usage: USAGE,
    options: { stack: { type: "string" } },
    async run({ values: { stack }, env, io, progress }) {
      const inputs =
        stack === undefined
          ? env
          : stackEnvironment(await readStackSettings(stack, deps.pulumi ?? pulumiCli), env);
      const read = readBackfillSettings(inputs);
      if (!read.ok) {
        const from = stack !== undefined ? ` (from stack "${stack}")` : "";
        throw new InputProblems(`The backfill cannot start${from}`, read.problems);
      }
      const { settings } = read;
      const report = await runBackfill({
        lists: createClerkLists({
          secretKey: settings.clerkSecretKey,
          apiUrl: settings.clerkApiUrl,
          clock,
          ...tries,
          ...(deps.pageSize ? { pageSize: deps.pageSize } : {}),
        }),
        append: createAppender({
          host: settings.tinybirdHost,
          dataSource: settings.dataSource,
          token: settings.tinybirdToken,
          clock,
          ...tries,
        }),
        redact: settings.redact,
        clock,
        progress: progress(clock),
      });
      for (const line of describeReport(report, settings.dataSource))
        (report.ok ? io.stdout : io.stderr)(line);
      return report.ok ? EXIT.ok : EXIT.failed;
    },
  };
}

if (require.main === module) void runMain(backfillCommand());
