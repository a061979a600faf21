/**
 * Group commit: requests that arrive together share one write. The first request after a quiet
 * moment waits `windowMs` for others; while a write runs, new requests queue and go together in the
 * next one, as soon as it ends. Each request is answered only when the write holding it committed,
 * and a write that fails fails every request in it: nothing is answered as stored unless it was.
 */

export interface GroupCommitOptions<Item, Result> {
  /** Writes the items in one go; returns a result per item, in order, or throws for all of them. */
  commit(items: Item[]): Promise<Result[]>;
  /** How long the first request of a group waits for others (0: the next turn of the event loop). */
  windowMs: number;
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
  /** Writes so far and the items they held, for figures and tests. */
  readonly stats = { commits: 0, items: 0 };

  constructor(private readonly options: GroupCommitOptions<Item, Result>) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // A write in progress starts the next group when it ends; otherwise the window opens now.
      if (!this.writing && !this.timer) this.timer = setTimeout(() => this.flush(), this.options.windowMs);
    });
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
    if (this.queue.length === 0) return;
    const group = this.take();
    this.stats.commits += 1;
    this.stats.items += group.length;
    this.writing = this.options
      .commit(group.map((w) => w.item))
      .then(
        (results) => {
          if (results.length !== group.length)
            throw new Error(`the commit answered ${results.length} results for ${group.length} requests`);
          group.forEach((w, i) => {
            w.resolve(results[i]!);
          });
        },
        (error: unknown) => {
          for (const w of group) w.reject(error);
        },
      )
      .catch((error: unknown) => {
        for (const w of group) w.reject(error);
      })
      .finally(() => {
        this.writing = undefined;
        if (this.queue.length > 0) this.flush();
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
