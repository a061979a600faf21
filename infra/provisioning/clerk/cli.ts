/**
 * `node --import tsx infra/provisioning/clerk/cli.ts create|update|delete|check`
 *
 * Registers this stack's Clerk webhook endpoint (through the instance's Svix app), keeps it in line
 * with the stack, or removes it: run by the ClerkWebhookEndpoint component's `local.Command`. `check`
 * reads it on every `pulumi up` and puts back what changed outside Pulumi (the component's invoke).
 * Every input comes from the environment (config.ts: CLERK_COMMAND_ENVIRONMENT), the result is one JSON line on
 * stdout.
 */
import { resultCommand, runMain } from "../../../command-kit/command-runner";
import { runCheck, runOperation } from "./operations";

void runMain(
  resultCommand({
    usage: "usage: node --import tsx infra/provisioning/clerk/cli.ts create|update|delete|check",
    positionals: true,
    run: ({ positionals, env, io }) =>
      positionals[0] === "check"
        ? runCheck(env)
        : runOperation(positionals[0], env, { warn: (line) => io.stderr(`warning: ${line}`) }),
  }),
);
