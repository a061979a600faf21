/**
 * What `npm start` keeps in its data folder that `npm run send` reads too, so that sending sample
 * events needs no flag: the signing secret, and where the running pipeline listens. Written once
 * here (the forwarder's dev tools import nothing outside lambda/; local/ imports this).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** LOCAL_DATA_DIR, or `.local` in the current directory. */
export function localDataDir(env: NodeJS.ProcessEnv): string {
  return resolve(env.LOCAL_DATA_DIR?.trim() || ".local");
}

export const SIGNING_SECRET_FILE = "signing-secret";
/** Written while npm start runs, removed when it stops. */
export const RUNNING_FILE = "npm-start.json";

export interface RunningPipeline {
  pid: number;
  /** The dashboard and the store's API. */
  url: string;
  webhookUrl: string;
  /** Where its forwarder's signing secret comes from: the data folder's file, or its environment. */
  signingSecret: "file" | "CLERK_WEBHOOK_SECRET";
}

/** The signing secret npm start generated in `dataDir`, if there is one. */
export function readLocalSigningSecret(dataDir: string): string | undefined {
  const file = join(dataDir, SIGNING_SECRET_FILE);
  return existsSync(file) ? readFileSync(file, "utf8").trim() || undefined : undefined;
}

/** The npm start running on `dataDir`, if its process is alive. */
export function readRunningPipeline(dataDir: string): RunningPipeline | undefined {
  let running: RunningPipeline;
  try {
    running = JSON.parse(readFileSync(join(dataDir, RUNNING_FILE), "utf8")) as RunningPipeline;
  } catch {
    return undefined;
  }
  try {
    process.kill(running.pid, 0);
    return running;
  } catch (error) {
    // EPERM: alive, but another user's process.
    return (error as NodeJS.ErrnoException).code === "EPERM" ? running : undefined;
  }
}
