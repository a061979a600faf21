/**
 * Group commit: requests that arrive together share one write. While a write runs, new requests
 * queue; once it ends, the next write starts as soon as the senders seen during the last one are
 * back (as many requests queued as the last write held plus those that queued while it ran), or
 * `maxDelayMs` after it could have started, whichever comes first. The senders of the group just
 * answered are back within a few milliseconds, one after another, and on a loaded machine further
 * apart than any fixed quiet window: counting them makes one group per write holding every sender
 * instead of two half-size ones alternating, which halves the writes (each costs about the same for
 * 1 row or 30). After a quiet moment (no write for `maxDelayMs`), the first request waits only for
 * requests to stop arriving for `windowMs`. Each request is answered only when the write holding it
 * committed, and a write that fails fails every request in it: nothing is answered as stored unless
 * it was.
 */

export interface GroupCommitOptions<Item, Result> {
  /** Writes the items in one go; returns a result per item, in order, or throws for all of them. */
  commit(items: Item[]): Promise<Result[]>;
  /** A group closes once no request arrived for this long (0: the next turn of the event loop). */
  windowMs: number;
  /** The longest a group stays open once a write could start (default: `windowMs`). */
  maxDelayMs?: number;
  /** Size of an item (e.g. its lines); a group stops before `maxWeight`, but always takes one item. */
  weight?: (item: Item) => number;
  maxWeight?: number;
}

interface Waiting<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export class GroupCommit<Item, Result> {
  private queue: Waiting<Item, Result>[] = [];
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the queued requests could have been written (no write running), and the last arrival. */
  private openedAt: number | undefined;
  private lastArrival = 0;
  /** Requests seen over the last write (its group and those queued meanwhile); 0 after a quiet moment. */
  private expected = 0;
  /** When the last write ended with nothing queued. */
  private idleSince = 0;
  /** Writes so far and the items they held, for figures and tests. */
  readonly stats = { commits: 0, items: 0 };

  constructor(private readonly options: GroupCommitOptions<Item, Result>) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.lastArrival = performance.now();
      // A write in progress schedules the next group when it ends.
      if (!this.writing) this.schedule();
    });
  }

  private schedule(): void {
    const now = performance.now();
    const { windowMs, maxDelayMs = windowMs } = this.options;
    const longest = Math.max(windowMs, maxDelayMs);
    if (this.openedAt === undefined) {
      this.openedAt = now;
      if (this.queue.length === 1 && now - this.idleSince > longest) this.expected = 0;
    }
    // Every sender back: written on the next turn of the event loop, so that requests arriving
    // together (read from the same sockets) stay together. Without a count of senders to wait for,
    // a group closes once requests stop arriving.
    const back = this.expected > 0 && this.queue.length >= this.expected;
    const quiet = back ? now : this.expected > 0 ? Number.POSITIVE_INFINITY : this.lastArrival + windowMs;
    const due = Math.min(quiet, this.openedAt + longest);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), Math.max(0, due - now));
  }

  /** Resolves once every request submitted so far has been answered. */
  async drain(): Promise<void> {
    while (this.writing || this.timer || this.queue.length > 0) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.flush();
      }
      await this.writing;
    }
  }

  private flush(): void {
    this.timer = undefined;
    this.openedAt = undefined;
    if (this.queue.length === 0) return;
    const group = this.take();
    this.stats.commits += 1;
    this.stats.items += group.length;
    // A commit that throws instead of rejecting fails its group too.
    this.writing = new Promise<Result[]>((resolve) => resolve(this.options.commit(group.map((w) => w.item))))
      .then((results) => {
        if (results.length !== group.length)
          throw new Error(`the commit answered ${results.length} results for ${group.length} requests`);
        group.forEach((w, i) => {
          w.resolve(results[i]!);
        });
      })
      // A failed commit, or one that answered the wrong number of results, fails the whole group.
      .catch((error: unknown) => {
        for (const w of group) w.reject(error);
      })
      .finally(() => {
        this.writing = undefined;
        this.expected = group.length + this.queue.length;
        if (this.queue.length > 0) this.schedule();
        else this.idleSince = performance.now();
      });
  }

  private take(): Waiting<Item, Result>[] {
    const { weight, maxWeight } = this.options;
    if (!weight || maxWeight === undefined) return this.queue.splice(0);
    let total = 0;
    let count = 0;
    while (count < this.queue.length) {
      const next = weight(this.queue[count]!.item);
      if (count > 0 && total + next > maxWeight) break;
      total += next;
      count += 1;
    }
    return this.queue.splice(0, count);
  }
}
