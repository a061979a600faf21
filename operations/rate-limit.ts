/**
 * A sliding-window request budget: at most `limit` request starts in any `windowMs`, and none while a
 * server-given pause (Retry-After) runs. Fixed windows would allow twice the limit across a boundary.
 */
import type { Clock } from "./clock";

export interface RateLimit {
  limit: number;
  windowMs: number;
}

export class RequestBudget {
  private readonly starts: number[] = [];
  private pausedUntil = 0;

  constructor(
    readonly rate: RateLimit,
    private readonly clock: Clock,
  ) {
    if (!(rate.limit >= 1) || !(rate.windowMs > 0))
      throw new Error(`invalid rate limit ${JSON.stringify(rate)}`);
  }

  /** Waits until `count` requests may start now, then books them. */
  async take(count = 1): Promise<void> {
    if (count > this.rate.limit)
      throw new Error(`cannot start ${count} requests within a budget of ${this.rate.limit}`);
    for (;;) {
      const now = this.clock.now();
      while (this.starts.length > 0 && this.starts[0]! <= now - this.rate.windowMs) this.starts.shift();
      const over = this.starts.length + count - this.rate.limit;
      const windowWait = over > 0 ? this.starts[over - 1]! + this.rate.windowMs - now : 0;
      const wait = Math.max(windowWait, this.pausedUntil - now);
      if (wait <= 0) {
        for (let i = 0; i < count; i++) this.starts.push(now);
        return;
      }
      await this.clock.sleep(wait);
    }
  }

  /** Holds every request back for `ms` from now (a 429's Retry-After applies to all of them). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }
}
