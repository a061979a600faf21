/** The backfill's outside world for tests: Clerk with a directory, Tinybird, a virtual clock, the CLI. */
import { backfillCommand, type CliDeps } from "../../operations/backfill/cli";
import { busiestWindow, type DirectorySize, makeDirectory, VirtualClock } from "../support/clerk-directory";
import {
  CLERK_KEY,
  type ClerkSvixFake,
  type FakeOptions,
  startClerkSvixFake,
} from "../support/clerk-svix-fake";
import { type StubServer, startStub } from "../support/http-stub";
import { TinybirdEvents } from "../support/tinybird-events";
import { type Run, runCli } from "./run-cli";

export const APPEND_TOKEN = "p.backfill-append-token-for-tests";
export const DATA_SOURCE = "clerk_events";

export type { Run } from "./run-cli";

export interface World {
  clock: VirtualClock;
  clerk: ClerkSvixFake;
  tinybird: TinybirdEvents;
  tinybirdServer: StubServer;
  env: NodeJS.ProcessEnv;
  run(options?: { argv?: string[]; env?: NodeJS.ProcessEnv; tty?: boolean; deps?: CliDeps }): Promise<Run>;
  busiestClerkWindow(): number;
  close(): Promise<void>;
}

export async function startWorld(size: DirectorySize, fake: FakeOptions = {}): Promise<World> {
  const clock = new VirtualClock();
  const clerk = await startClerkSvixFake({ directory: makeDirectory(size), now: clock.now, ...fake });
  const tinybird = new TinybirdEvents({ token: APPEND_TOKEN, dataSource: DATA_SOURCE, now: clock.now });
  const tinybirdServer = await startStub(tinybird.handler);
  const env: NodeJS.ProcessEnv = {
    CLERK_SECRET_KEY: CLERK_KEY,
    CLERK_API_URL: clerk.clerk.url,
    TINYBIRD_HOST: tinybirdServer.url,
    TINYBIRD_TOKEN: APPEND_TOKEN,
  };
  return {
    clock,
    clerk,
    tinybird,
    tinybirdServer,
    env,
    run: (options = {}) =>
      runCli(
        backfillCommand({ clock, attempts: 4, ...options.deps }),
        options.argv ?? [],
        options.env ?? env,
        {
          tty: options.tty ?? false,
        },
      ),
    busiestClerkWindow: () => busiestWindow(clerk.clerkTimes, 10_000),
    close: async () => {
      await Promise.all([clerk.close(), tinybirdServer.close()]);
    },
  };
}
