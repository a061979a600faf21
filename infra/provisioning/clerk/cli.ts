/**
 * `node --import tsx infra/provisioning/clerk/cli.ts create|update|delete`
 *
 * Registers this stack's Clerk webhook endpoint (through the instance's Svix app), keeps it in line
 * with the stack, or removes it. Run by the ClerkWebhookEndpoint component's `local.Command`; every
 * input comes from the environment (see clerk-access/config.ts), the result is one JSON line on stdout.
 */
import { resultCommand, runMain } from "../../../command-kit/command-runner";
import { runOperation } from "./operations";

void runMain(
  resultCommand({
    usage: "usage: node --import tsx infra/provisioning/clerk/cli.ts create|update|delete",
    positionals: true,
    run: ({ positionals, env, io }) =>
      runOperation(positionals[0], env, { warn: (line) => io.stderr(`warning: ${line}`) }),
  }),
);
