/**
 * What npm start keeps in its data folder, written here and read here by everyone else (a second
 * npm start, `npm run send`, `npm run seed`): the secrets (mode 600, generated on first start, so a
 * restart, send, seed and a tunnel keep working), the forwarder's Svix signing secret and the store
 * token every caller of the store's API needs; and, while it runs, where it listens.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** LOCAL_DATA_DIR, or `.local` in the current directory. */
export function localDataDir(env: NodeJS.ProcessEnv): string {
  return resolve(env.LOCAL_DATA_DIR?.trim() || ".local");
}

export const SIGNING_SECRET_FILE = "signing-secret";
export const STORE_TOKEN_FILE = "store-token";
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

/** The first line of `dataDir`'s `file`, if there is one. */
function readKept(dataDir: string, file: string): string | undefined {
  const path = join(dataDir, file);
  return existsSync(path) ? readFileSync(path, "utf8").trim() || undefined : undefined;
}

/** The signing secret npm start generated in `dataDir`, if there is one. */
export function readLocalSigningSecret(dataDir: string): string | undefined {
  return readKept(dataDir, SIGNING_SECRET_FILE);
}

/**
 * CLERK_WEBHOOK_SECRET when set (e.g. a Clerk development instance's endpoint secret), else the one
 * kept in the data folder, generated on first start.
 */
export function localSigningSecret(
  env: NodeJS.ProcessEnv,
  dataDir: string,
): { secret: string; from: string } {
  const fromEnv = env.CLERK_WEBHOOK_SECRET?.trim();
  if (fromEnv) return { secret: fromEnv, from: "CLERK_WEBHOOK_SECRET" };
  const file = join(dataDir, SIGNING_SECRET_FILE);
  const kept = readLocalSigningSecret(dataDir);
  if (kept) return { secret: kept, from: file };
  // Svix secrets are `whsec_` + base64 of 24 random bytes.
  const secret = `whsec_${randomBytes(24).toString("base64")}`;
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, from: `${file} (generated)` };
}

/** The store token kept in `dataDir`, if npm start made one there. */
export function readStoreToken(dataDir: string): string | undefined {
  return readKept(dataDir, STORE_TOKEN_FILE);
}

/** The token the store's API requires (Authorization: Bearer), generated once per data folder. */
export function localStoreToken(dataDir: string): string {
  const kept = readStoreToken(dataDir);
  if (kept) return kept;
  const file = join(dataDir, STORE_TOKEN_FILE);
  const token = `local_${randomBytes(32).toString("base64url")}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/** Records where this npm start listens, for `npm run send` and a second npm start; removed on stop. */
export function recordRunning(dataDir: string, running: Omit<RunningPipeline, "pid">): () => void {
  const file = join(dataDir, RUNNING_FILE);
  writeFileSync(file, `${JSON.stringify({ pid: process.pid, ...running })}\n`);
  return () => rmSync(file, { force: true });
}

/**
 * What `npm run send` and `npm run seed` say when no npm start runs on the data folder `env` names,
 * the address they fell back on (`tried`) failed (`failure`): the folder, what was tried, the fixes.
 */
export function notRunningOn(
  env: NodeJS.ProcessEnv,
  tried: string,
  failure: string,
  otherFix: string,
): string {
  const dataDir = localDataDir(env);
  const start = env.LOCAL_DATA_DIR?.trim() ? `LOCAL_DATA_DIR=${dataDir} npm start` : "npm start";
  return (
    `no npm start runs on ${dataDir} (no ${RUNNING_FILE} of a live process there), so this tried ${tried}: ${failure}. ` +
    `Start ${start} in another terminal, ${otherFix}`
  );
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
