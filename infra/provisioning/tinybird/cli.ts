/**
 * Entry point of the TinybirdProject command:
 * `node --import tsx infra/provisioning/tinybird/cli.ts create|update|delete`, inputs in the
 * environment (see config.ts), one JSON line on stdout.
 */
import { runCommand } from "../../../command-kit/command-shell";
import { runOperation } from "./provision";

void runCommand(() => runOperation(process.argv[2] ?? "", process.env));
