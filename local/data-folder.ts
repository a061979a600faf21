/**
 * The secrets npm start keeps in its data folder (mode 600, generated on first start, so a restart,
 * `npm run send`, `npm run seed` and a tunnel keep working): the forwarder's Svix signing secret
 * and the store token every caller of the store's API needs; and, while it runs, where it listens.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  RUNNING_FILE,
  type RunningPipeline,
  readLocalSigningSecret,
  SIGNING_SECRET_FILE,
} from "../lambda/dev/local-pipeline-files";

export const STORE_TOKEN_FILE = "store-token";

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
  const file = join(dataDir, STORE_TOKEN_FILE);
  return existsSync(file) ? readFileSync(file, "utf8").trim() || undefined : undefined;
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
