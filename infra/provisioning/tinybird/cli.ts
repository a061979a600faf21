/**
 * Entry point of the TinybirdProject command:
 * `node --import tsx infra/provisioning/tinybird/cli.ts create|update|delete`, inputs in the
 * environment (config.ts: TINYBIRD_COMMAND_ENVIRONMENT), one JSON line on stdout, progress on stderr.
 *
 * An interrupted `pulumi up` (Ctrl-C, a CI job's timeout) stops this process while it waits for a
 * deployment. That is expected: the deployment goes on in Tinybird, which promotes it when its data
 * is ready, and the next run waits for it instead of starting another, so this only says so.
 */
import { resultCommand, runMain } from "../../../command-kit/command-runner";
import { runOperation } from "./provision";

for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const) {
  process.once(signal, () => {
    process.stderr.write(
      `interrupted (${signal}): a Tinybird deployment this run started or was waiting for goes on in Tinybird, ` +
        "which promotes it once its data is ready; the next pulumi up waits for it instead of starting another\n",
    );
    process.exit(code);
  });
}

void runMain(
  resultCommand({
    usage: "usage: node --import tsx infra/provisioning/tinybird/cli.ts create|update|delete",
    positionals: true,
    run: ({ positionals, env }) => {
      // Seconds between looks at a deployment are Tinybird's CLI's; a test or Tinybird Local may look more often.
      const poll = Number(env.TINYBIRD_POLL_INTERVAL_MS);
      return runOperation(
        positionals[0] ?? "",
        env,
        Number.isInteger(poll) && poll > 0 ? { pollIntervalMs: poll } : {},
      );
    },
  }),
);
