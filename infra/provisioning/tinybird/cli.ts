/**
 * Entry point of the TinybirdProject command:
 * `node --import tsx infra/provisioning/tinybird/cli.ts create|update|delete`, inputs in the
 * environment (see config.ts), one JSON line on stdout.
 */
import { resultCommand, runMain } from "../../../command-kit/command-runner";
import { runOperation } from "./provision";

void runMain(
  resultCommand({
    usage: "usage: node --import tsx infra/provisioning/tinybird/cli.ts create|update|delete",
    positionals: true,
    run: ({ positionals, env }) => runOperation(positionals[0] ?? "", env),
  }),
);
