/**
 * Seeds for the reliability runs. Every random choice is a pure function of the seed and a key
 * (the event, the attempt, the request's place), never of arrival order, so concurrent requests
 * get the same faults on every run with the same seed.
 */
import { createHash } from "node:crypto";

/** The seed the committed figures come from; `RELIABILITY_SEED=<integer>` runs another. */
export const DEFAULT_SEED = 20_261_124;

export function seedFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = env.RELIABILITY_SEED?.trim();
  if (!raw) return DEFAULT_SEED;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`RELIABILITY_SEED "${raw}" is not an integer`);
  return seed;
}

/** A number in [0, 1) fixed by the seed and the keys. */
export function draw(seed: number, ...keys: (string | number)[]): number {
  const digest = createHash("sha256")
    .update(`${seed}\u0000${keys.join("\u0000")}`)
    .digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

/** The choice whose cumulative weight first exceeds `u` (weights need not sum to 1). */
export function pick<T>(choices: readonly (readonly [T, number])[], u: number): T {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let left = u * total;
  for (const [choice, weight] of choices) {
    if (left < weight) return choice;
    left -= weight;
  }
  return choices[choices.length - 1]![0];
}
