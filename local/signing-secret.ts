/**
 * The local forwarder's Svix signing secret: CLERK_WEBHOOK_SECRET when set (e.g. a Clerk development
 * instance's endpoint secret), else one generated on first start and kept in the data folder, so
 * `npm run send` and a tunnel keep working across restarts.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const SECRET_FILE = "signing-secret";

export function localSigningSecret(
  env: NodeJS.ProcessEnv,
  dataDir: string,
): { secret: string; from: string } {
  const fromEnv = env.CLERK_WEBHOOK_SECRET?.trim();
  if (fromEnv) return { secret: fromEnv, from: "CLERK_WEBHOOK_SECRET" };
  const file = join(dataDir, SECRET_FILE);
  if (existsSync(file)) return { secret: readFileSync(file, "utf8").trim(), from: file };
  // Svix secrets are `whsec_` + base64 of 24 random bytes.
  const secret = `whsec_${randomBytes(24).toString("base64")}`;
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, from: `${file} (generated)` };
}
