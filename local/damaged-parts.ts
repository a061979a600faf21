/**
 * Parts chDB could not read at start: ClickHouse moves a truncated or corrupt part to the table's
 * `detached/` folder and loads the table without it, silently. The store finds them, says how many
 * rows each held, and refuses to start until told what to do with them.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Session } from "chdb";
import { literal } from "../tinybird-model/sql-steps";

export const DAMAGED_PARTS_CHOICES = ["set-aside", "delete"] as const;
export type DamagedPartsChoice = (typeof DAMAGED_PARTS_CHOICES)[number];

export interface DamagedPart {
  table: string;
  /** The part's folder name in detached/ (e.g. `broken-on-start_202501_3_3_0`). */
  part: string;
  path: string;
  /** Rows the part held, from its count.txt; undefined when unreadable. */
  rows?: number;
  /** Whether it belongs to the landing data source (its rows are lost) rather than a rollup (rebuilt). */
  landing: boolean;
}

/** Why ClickHouse detaches a part whose rows it could not keep (not `ignored`, nor a user's DETACH). */
const DAMAGED = ["broken", "broken-on-start", "unexpected", "covered-by-broken", "noquorum"];

export function findDamagedParts(session: Session, database: string, landing: string): DamagedPart[] {
  const found = session
    .query(
      `SELECT table, name, path FROM system.detached_parts WHERE database = ${literal(database)} AND reason IN (${DAMAGED.map(literal).join(", ")}) ORDER BY table, name`,
      "JSONEachRow",
    )
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as { table: string; name: string; path: string });
  return found.map(({ table, name, path }) => {
    const full = resolve(path);
    const counted = Number(
      existsSync(join(full, "count.txt")) ? readFileSync(join(full, "count.txt"), "utf8") : NaN,
    );
    return {
      table,
      part: name,
      path: full,
      ...(Number.isFinite(counted) ? { rows: counted } : {}),
      landing: table === landing,
    };
  });
}

/** Moves the parts to `<dataDir>/damaged-parts/<time>/<table>/`, or deletes them. */
export function setDamagedPartsAside(
  parts: DamagedPart[],
  choice: DamagedPartsChoice,
  dataDir: string,
): void {
  const folder = join(dataDir, "damaged-parts", new Date().toISOString().replace(/[:.]/g, "-"));
  for (const part of parts) {
    if (choice === "delete") {
      rmSync(part.path, { recursive: true, force: true });
      continue;
    }
    mkdirSync(join(folder, part.table), { recursive: true });
    renameSync(part.path, join(folder, part.table, part.part));
  }
}
