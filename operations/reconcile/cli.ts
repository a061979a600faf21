/**
 * `npm run reconcile -- --since <ISO time> [--until <ISO time>] [--repair] [--stack <name>]`: proves
 * every Svix message the stack's endpoint was meant to receive in the window is stored in Tinybird,
 * and with --repair asks Svix to deliver what is not. Inputs are environment variables (see
 * docs/operating.md), or the deployed stack's settings with `--stack`. The ledger on stdout, its last
 * line one JSON object; warnings and progress (on a terminal) on stderr. Exit 0 when nothing is
 * missing (or everything missing was repaired, or is being repaired by a Svix task still running), 1
 * while a gap remains, 2 when it could not reconcile.
 */
import { randomUUID } from "node:crypto";
import { type Command, runMain } from "../../command-kit/command-runner";
import { scrubSecrets } from "../../command-kit/command-shell";
import { type PulumiCli, pulumiCli } from "../../stack-access/pulumi-cli";
import { readStackSettings } from "../../stack-access/stack-settings";
import { type Clock, systemClock } from "../clock";
import { readTime } from "../time-arguments";
import { describeLedger, resultLine } from "./report";
import { describeReconcileProgress, runReconcile } from "./run";
import { readReconcileSettings, stackEnvironment } from "./settings";
import { createStoredEvents } from "./stored-events";
import { openSvixDeliveries } from "./svix-deliveries";

export interface CliDeps {
  clock?: Clock;
  pulumi?: PulumiCli;
  /** Tries per request (tests shorten it). */
  attempts?: number;
  /** Page sizes (tests use small pages to make many requests). */
  svixPageSize?: number;
  tinybirdPageSize?: number;
  sliceMs?: number;
}

/**
 * Exit statuses: a CI job tells "gaps remain" from "could not reconcile" (wrong usage is the runner's
 * 2 as well). Every failure is caught below and answered 2, never the runner's 1, which means gaps here.
 */
export const EXIT = { complete: 0, gaps: 1, failed: 2 } as const;

const USAGE =
  "usage: npm run reconcile -- --since <ISO time> [--until <ISO time>] [--repair] [--stack <name>]\n" +
  "  without --stack: CLERK_SECRET_KEY, CLERK_ENDPOINT_ID, TINYBIRD_HOST, TINYBIRD_TOKEN (read), and optionally\n" +
  "  CLERK_API_URL, SVIX_SERVER_URL, CLERK_EVENT_TYPES (the stack's event types, comma-separated; * for all)";

const OPTIONS = {
  since: { type: "string" },
  until: { type: "string" },
  repair: { type: "boolean" },
  stack: { type: "string" },
} as const;

export function reconcileCommand(deps: CliDeps = {}): Command<typeof OPTIONS> {
  return {
    usage: USAGE,
    options: OPTIONS,
    run: ({ values, env, io, progress }) =>
      reconcile(values, env, deps, {
        stdout: io.stdout,
        fail: io.stderr,
        progress: (clock) => progress(clock, describeReconcileProgress),
      }),
  };
}

async function reconcile(
  values: { since?: string; until?: string; repair?: boolean; stack?: string },
  env: NodeJS.ProcessEnv,
  deps: CliDeps,
  io: {
    stdout: (line: string) => void;
    fail: (line: string) => void;
    progress: (clock: Clock) => Parameters<typeof runReconcile>[1]["progress"];
  },
): Promise<number> {
  const clock = deps.clock ?? systemClock;
  const fail = io.fail;
  const now = clock.now();
  const problems: string[] = [];
  const since = readTime("--since", values.since, problems, true);
  // A window reaching into the future ends now: nothing later was sent yet.
  const until =
    values.until === undefined ? new Date(now) : readTime("--until", values.until, problems, false);
  if (since && since.getTime() >= now) problems.push("--since is in the future: nothing was sent yet");
  if (since && until && since >= until) problems.push("--since must be before --until");

  let inputs = env;
  const stack = values.stack;
  if (stack !== undefined) {
    try {
      inputs = stackEnvironment(await readStackSettings(stack, deps.pulumi ?? pulumiCli), env);
    } catch (error) {
      fail((error as Error).message);
      return EXIT.failed;
    }
  }
  const read = readReconcileSettings(inputs);
  if (!read.ok) problems.push(...read.problems);
  if (problems.length > 0 || !read.ok) {
    const from = stack !== undefined ? ` (stack "${stack}")` : "";
    fail(`The reconciliation cannot start${from}:\n${problems.map((p) => `  - ${p}`).join("\n")}\n${USAGE}`);
    return EXIT.failed;
  }
  const { settings } = read;
  const window = { since: since!, until: new Date(Math.min(until!.getTime(), now)) };

  // Every credential met on the way, so that no message can quote one.
  const secrets = new Set([settings.secretKey, settings.tinybirdToken]);
  const scrub = (text: string) => scrubSecrets(text, secrets);
  const policy = { attempts: deps.attempts ?? 8, baseDelayMs: 1_000, maxDelayMs: 60_000, sleep: clock.sleep };
  const fixEndpoint =
    `run \`npm run up${stack !== undefined ? ` -- --stack ${stack}` : ""}\` (it re-enables the endpoint and restores ` +
    "its settings) or fix the endpoint in the Clerk dashboard → Webhooks, then run this again";

  let svix: Awaited<ReturnType<typeof openSvixDeliveries>> | undefined;
  try {
    svix = await openSvixDeliveries(settings, {
      endpoint: settings.endpoint,
      policy,
      remember: (secret) => secrets.add(secret),
      ...(deps.svixPageSize ? { pageSize: deps.svixPageSize } : {}),
    });
    const report = await runReconcile(
      { ...window, repair: values.repair === true, ...(deps.sliceMs ? { sliceMs: deps.sliceMs } : {}) },
      {
        svix,
        readStored: createStoredEvents({
          host: settings.tinybirdHost,
          token: settings.tinybirdToken,
          clock,
          ...(deps.attempts ? { attempts: deps.attempts } : {}),
          ...(deps.tinybirdPageSize ? { pageSize: deps.tinybirdPageSize } : {}),
        }),
        clock,
        progress: io.progress(clock),
        wantedTypes: settings.eventTypes,
        runId: randomUUID(),
        fixEndpoint,
      },
    );
    const context = {
      ...window,
      appId: svix.appId,
      endpoint: svix.endpoint.id,
      repair: values.repair === true,
    };
    for (const warning of report.warnings) fail(`warning: ${scrub(warning)}`);
    for (const line of describeLedger(report, context)) io.stdout(scrub(line));
    io.stdout(scrub(JSON.stringify(resultLine(report, context))));
    return report.unrepaired === 0 ? EXIT.complete : EXIT.gaps;
  } catch (error) {
    const message = scrub(error instanceof Error ? error.message : String(error));
    fail(`The reconciliation failed: ${message}`);
    io.stdout(
      JSON.stringify({
        since: window.since.toISOString(),
        until: window.until.toISOString(),
        complete: false,
        error: message,
      }),
    );
    return EXIT.failed;
  } finally {
    await svix?.close();
  }
}

if (require.main === module) void runMain(reconcileCommand());
