/**
 * `node --import tsx infra/provisioning/clerk/cli.ts create|update|delete`
 *
 * Registers this stack's Clerk webhook endpoint (through the instance's Svix app), keeps it in line
 * with the stack, or removes it. Run by the ClerkWebhookEndpoint component's `local.Command`; every
 * input comes from the environment (see config.ts), the result is one JSON line on stdout.
 */
import { runCommand } from "../../../command-kit/command-shell";
import { runOperation } from "./operations";

void runCommand(() =>
  runOperation(process.argv[2], process.env, { warn: (line) => process.stderr.write(`warning: ${line}\n`) }),
);
