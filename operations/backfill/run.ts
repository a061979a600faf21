/**
 * The backfill itself: every kind in turn (users, organizations, memberships), page by page, each
 * page's objects turned into redacted creation events and appended before the next page is listed,
 * so an interruption loses at most the page in flight and a re-run repeats only ids readers
 * de-duplicate. Nothing here throws: the report says how far it got and why it stopped.
 */

import type { Progress } from "../../command-kit/progress";
import type { Redactor } from "../../lambda/redaction";
import type { Clock } from "../clock";
import type { ClerkLists } from "./clerk-lists";
import { backfillLine, KINDS, type Kind } from "./events";
import { type Append, batches } from "./tinybird-append";

export interface BackfillDeps {
  lists: ClerkLists;
  append: Append;
  redact: Redactor;
  clock: Clock;
  progress: Progress;
}

export interface KindCount {
  listed: number;
  stored: number;
  /** Clerk's count when the kind was first listed. */
  total?: number;
  /** The instance has organizations turned off. */
  disabled?: true;
}

export interface BackfillReport {
  ok: boolean;
  counts: Record<Kind, KindCount>;
  elapsedMs: number;
  /** Why it stopped: the cause and the fix. */
  failure?: string;
  /** Where it stopped. */
  stoppedAt?: { kind: Kind; offset: number };
}

export const PLURAL: Record<Kind, string> = {
  user: "users",
  organization: "organizations",
  membership: "memberships",
};

export async function runBackfill(deps: BackfillDeps): Promise<BackfillReport> {
  const started = deps.clock.now();
  const counts = Object.fromEntries(KINDS.map((k) => [k, { listed: 0, stored: 0 }])) as Record<
    Kind,
    KindCount
  >;
  const storedOverall = () => KINDS.reduce((n, k) => n + counts[k].stored, 0);
  const show = (kind: Kind, force = false) => {
    const { listed, stored, total } = counts[kind];
    deps.progress.update(
      {
        phase: PLURAL[kind],
        listed,
        stored,
        storedOverall: storedOverall(),
        ...(total !== undefined ? { total } : {}),
      },
      force,
    );
  };

  for (const kind of KINDS) {
    const count = counts[kind];
    let offset = 0;
    try {
      for (;;) {
        const page = await deps.lists.page(kind, offset);
        if (page.disabled) count.disabled = true;
        count.total ??= page.totalCount;
        count.listed += page.items.length;
        show(kind);
        if (page.items.length === 0) break;
        const lines = page.items.map((raw) => backfillLine(kind, raw, deps.redact, deps.clock.now()));
        for (const batch of batches(lines)) {
          await deps.append(batch);
          count.stored += batch.length;
          show(kind);
        }
        offset += page.items.length;
        // Clerk's count may grow while the run goes on: the last page is the one that is short.
        if (page.items.length < deps.lists.pageSize) break;
      }
    } catch (error) {
      show(kind, true);
      deps.progress.finish();
      return {
        ok: false,
        counts,
        elapsedMs: deps.clock.now() - started,
        failure: error instanceof Error ? error.message : String(error),
        stoppedAt: { kind, offset },
      };
    }
  }
  const listed = KINDS.reduce((n, k) => n + counts[k].listed, 0);
  deps.progress.update({ phase: "done", listed, stored: storedOverall(), total: listed }, true);
  deps.progress.finish();
  return { ok: true, counts, elapsedMs: deps.clock.now() - started };
}
