/**
 * `node --import tsx infra/provisioning/clerk/cli.ts create|update|delete|check`
 *
 * Registers this stack's Clerk webhook endpoint (through the instance's Svix app), keeps it in line
 * with the stack, or removes it: run by the ClerkWebhookEndpoint component's `local.Command`. `check`
 * reads it on every `pulumi up` and puts back what changed outside Pulumi (the component's invoke).
 * Every input comes from the environment (see clerk-access/config.ts), the result is one JSON line on
 * stdout.
 */
import { runCommand } from "../../../command-kit/command-shell";
import { runCheck, runOperation } from "./operations";

const warn = (line: string) => process.stderr.write(`warning: ${line}\n`);
const op = process.argv[2];
void runCommand(() => (op === "check" ? runCheck(process.env) : runOperation(op, process.env, { warn })));
