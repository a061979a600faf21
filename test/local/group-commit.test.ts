/**
 * Group commit with a write the test holds open: requests that share a write are answered only once
 * it committed, a failing write fails every request in it, and requests arriving meanwhile wait for
 * the next one. No clock: the test decides when each write ends.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { GroupCommit } from "../../local/group-commit";

/** A commit function whose writes end when the test says. */
function heldWrites() {
  const writes: { items: string[]; commit(): void; fail(error: Error): void }[] = [];
  let started: () => void = () => {};
  const commit = (items: string[]) =>
    new Promise<string[]>((resolve, reject) => {
      writes.push({ items, commit: () => resolve(items.map((i) => `stored ${i}`)), fail: reject });
      started();
    });
  const nextWrite = () =>
    new Promise<void>((resolve) => {
      started = resolve;
    });
  return { writes, commit, nextWrite };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("group commit", () => {
  it("answers each request of a shared write only once that write committed", async () => {
    const held = heldWrites();
    const group = new GroupCommit({ commit: held.commit, windowMs: 0 });
    const answered: string[] = [];
    const started = held.nextWrite();
    const requests = ["a", "b", "c"].map((item) => group.submit(item).then((r) => answered.push(r)));
    await started;
    expect(held.writes.map((w) => w.items)).toEqual([["a", "b", "c"]]);
    // Nothing is answered while the write is open, however long it takes.
    await Promise.resolve();
    expect(answered).toEqual([]);

    // Requests arriving during the write wait for the next one.
    const nextStarted = held.nextWrite();
    const later = ["d", "e"].map((item) => group.submit(item).then((r) => answered.push(r)));
    held.writes[0]!.commit();
    await Promise.all(requests);
    expect(answered).toEqual(["stored a", "stored b", "stored c"]);
    await nextStarted;
    expect(held.writes.map((w) => w.items)).toEqual([
      ["a", "b", "c"],
      ["d", "e"],
    ]);
    held.writes[1]!.commit();
    await Promise.all(later);
    expect(answered).toHaveLength(5);
    expect(group.stats).toEqual({ commits: 2, items: 5 });
  });

  it("fails every request of a write that fails, and the next write goes on", async () => {
    const held = heldWrites();
    const group = new GroupCommit({ commit: held.commit, windowMs: 0 });
    let started = held.nextWrite();
    const failing = ["a", "b"].map((item) => group.submit(item));
    await started;
    started = held.nextWrite();
    const next = group.submit("c");
    held.writes[0]!.fail(new Error("disk full"));
    for (const request of failing) await expect(request).rejects.toThrow("disk full");
    await started;
    held.writes[1]!.commit();
    expect(await next).toBe("stored c");
  });

  it("fails every request of a write whose commit throws instead of rejecting", async () => {
    let calls = 0;
    const group = new GroupCommit<string, string>({
      commit: (items) => {
        calls += 1;
        if (calls === 1) throw new Error("disk full");
        return Promise.resolve(items.map((i) => `stored ${i}`));
      },
      windowMs: 0,
    });
    const first = ["a", "b"].map((item) => group.submit(item));
    for (const request of first) await expect(request).rejects.toThrow("disk full");
    // Both senders are back: the next group is written as they arrive, and answered.
    expect(await Promise.all(["c", "d"].map((item) => group.submit(item)))).toEqual(["stored c", "stored d"]);
  });

  it("stops a group before the weight limit, but always takes one request", async () => {
    const held = heldWrites();
    const group = new GroupCommit({
      commit: held.commit,
      windowMs: 0,
      weight: (item: string) => item.length,
      maxWeight: 4,
    });
    let started = held.nextWrite();
    const all = ["aa", "bb", "c", "dddddd"].map((item) => group.submit(item));
    await started;
    for (const expected of [["aa", "bb"], ["c"], ["dddddd"]]) {
      expect(held.writes.at(-1)!.items).toEqual(expected);
      started = held.nextWrite();
      held.writes.at(-1)!.commit();
      if (expected[0] !== "dddddd") await started;
    }
    expect(await Promise.all(all)).toEqual(["stored aa", "stored bb", "stored c", "stored dddddd"]);
  });

  it("closes a first group once requests stop arriving for the window, then once the last write's senders are back, or at the longest delay", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const held = heldWrites();
    const group = new GroupCommit({ commit: held.commit, windowMs: 5, maxDelayMs: 20 });
    void group.submit("a");
    await vi.advanceTimersByTimeAsync(4);
    void group.submit("b");
    await vi.advanceTimersByTimeAsync(4);
    // b arrived 4 ms ago: still open.
    expect(held.writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(held.writes.map((w) => w.items)).toEqual([["a", "b"]]);

    // Four senders over that write (a, b, and c, d queued meanwhile): the next group waits for the
    // two just answered, however slowly they come back, and closes as soon as both are.
    for (const item of ["c", "d"]) void group.submit(item);
    held.writes[0]!.commit();
    await vi.advanceTimersByTimeAsync(8);
    void group.submit("e");
    await vi.advanceTimersByTimeAsync(8);
    expect(held.writes).toHaveLength(1);
    void group.submit("f");
    await vi.advanceTimersByTimeAsync(0);
    expect(held.writes[1]!.items).toEqual(["c", "d", "e", "f"]);

    // Senders that do not come back: the group closes 20 ms after the first of them did.
    held.writes[1]!.commit();
    await vi.advanceTimersByTimeAsync(1);
    for (const item of ["g", "h"]) void group.submit(item);
    await vi.advanceTimersByTimeAsync(19);
    expect(held.writes).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(held.writes[2]!.items).toEqual(["g", "h"]);

    // After a quiet moment the window rules again: one request is written once none follows.
    held.writes[2]!.commit();
    await vi.advanceTimersByTimeAsync(100);
    void group.submit("i");
    await vi.advanceTimersByTimeAsync(5);
    expect(held.writes[3]!.items).toEqual(["i"]);
  });

  it("answers everything submitted before drain resolves", async () => {
    const group = new GroupCommit({
      commit: async (items: number[]) => items.map((i) => i * 2),
      windowMs: 60_000,
    });
    const answers = [1, 2, 3].map((i) => group.submit(i));
    await group.drain();
    expect(await Promise.all(answers)).toEqual([2, 4, 6]);
  });
});
