/**
 * `npm run recover -- --since <ISO time> [--until <ISO time>] [--stack <name>]`: asks Svix to resend
 * the messages it marked failed for the stack's endpoint (after an outage longer than its ~28 h of
 * retries) and to send those it never attempted (while the endpoint was disabled). Inputs without
 * --stack: CLERK_SECRET_KEY, CLERK_ENDPOINT_ID (the endpoint's id or uid),
 * CLERK_API_URL. A stack in manual mode gets the Clerk dashboard steps instead.
 */
import { normaliseApiUrl } from "../../clerk-access/config";
import { SVIX_RECOVER_DAYS, SVIX_RECOVER_MS } from "../../clerk-access/svix-access";
import { type Command, InputProblems, runMain } from "../../command-kit/command-runner";
import { CommandError, type RetryPolicy } from "../../command-kit/command-shell";
import { type PulumiCli, pulumiCli } from "../../stack-access/pulumi-cli";
import { readStackSettings } from "../../stack-access/stack-settings";
import { readTime } from "../time-arguments";
import { manualSteps, recoverFailedMessages } from "./recover";

export interface RecoverDeps {
  pulumi?: PulumiCli;
  policy?: RetryPolicy;
  now?: () => number;
}

const USAGE =
  "usage: npm run recover -- --since <ISO time> [--until <ISO time>] [--stack <name>]\n" +
  "  without --stack: CLERK_SECRET_KEY and CLERK_ENDPOINT_ID (the endpoint's id or uid), optionally CLERK_API_URL";

const OPTIONS = {
  since: { type: "string" },
  until: { type: "string" },
  stack: { type: "string" },
} as const;

export function recoverCommand(deps: RecoverDeps = {}): Command<typeof OPTIONS> {
  const now = deps.now ?? Date.now;
  return {
    usage: USAGE,
    options: OPTIONS,
    async run({ values, env, io }) {
      const problems: string[] = [];
      const since = readTime("--since", values.since, problems, true);
      const until = readTime("--until", values.until, problems, false);
      if (since && until && since >= until) problems.push("--since must be before --until");
      if (since && since.getTime() > now()) problems.push("--since is in the future: nothing has failed yet");
      if (since && since.getTime() < now() - SVIX_RECOVER_MS)
        problems.push(
          `--since is more than ${SVIX_RECOVER_DAYS} days ago, past what Svix recovers: for older failed messages run ` +
            `npm run reconcile -- --since ${since.toISOString()} --repair, which resends them one by one`,
        );

      let secretKey = env.CLERK_SECRET_KEY?.trim() || undefined;
      let endpoint = env.CLERK_ENDPOINT_ID?.trim() || undefined;
      if (values.stack !== undefined) {
        const stack = await readStackSettings(values.stack, deps.pulumi ?? pulumiCli);
        secretKey = stack.clerkSecretKey;
        endpoint = stack.clerkEndpointId;
      }
      if (problems.length > 0) throw new InputProblems("The recovery cannot start", problems);
      if (!secretKey || endpoint === "manual") {
        for (const line of manualSteps(since!, until)) io.stdout(line);
        return;
      }
      if (!endpoint) {
        throw new CommandError(
          "CLERK_ENDPOINT_ID is not set: give the endpoint's id (the stack output clerkEndpointId) or use --stack <name>",
        );
      }

      let recovery: Awaited<ReturnType<typeof recoverFailedMessages>>;
      try {
        recovery = await recoverFailedMessages(
          {
            secretKey,
            clerkApiUrl: normaliseApiUrl(env.CLERK_API_URL),
            ...(env.SVIX_SERVER_URL ? { svixServerUrl: env.SVIX_SERVER_URL.replace(/\/+$/, "") } : {}),
          },
          { endpoint, since: since!, ...(until ? { until } : {}) },
          deps.policy,
        );
      } catch (error) {
        throw new CommandError(`The recovery failed: ${(error as Error).message}`, { cause: error });
      }
      const range = `${since!.toISOString()} to ${until ? until.toISOString() : "now"}`;
      io.stdout(
        `Svix is resending the failed messages of endpoint ${recovery.endpoint} (app ${recovery.appId}) from ${range}: ` +
          `background task ${recovery.task.id}, ${recovery.task.status}.`,
      );
      if ("task" in recovery.replay) {
        io.stdout(
          `Svix is sending the messages endpoint ${recovery.endpoint} never attempted (sent while it was disabled or ` +
            `filtered them out) from ${range}: background task ${recovery.replay.task.id}, ${recovery.replay.task.status}.`,
        );
      }
      io.stdout(
        "Follow them in the Clerk dashboard → Webhooks → the endpoint → Message Attempts, and the forwarder's logs. " +
          "Resent events keep their svix-id (event_id): any already stored are counted once. " +
          "`npm run reconcile` proves what is stored.",
      );
      if ("failure" in recovery.replay) {
        throw new CommandError(`Replaying the never-attempted messages failed: ${recovery.replay.failure}`);
      }
    },
  };
}

if (require.main === module) void runMain(recoverCommand());
