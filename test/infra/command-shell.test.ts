import { describe, expect, it } from "vitest";
import { CommandError, requireEnv, scrubSecrets, withRetry } from "../../command-kit/command-shell";
import { parseRetryAfter } from "../../lambda/retry-after";

describe("withRetry", () => {
  it("retries retryable failures with growing, capped delays and returns the eventual result", async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 4) throw new Error("503");
        return "ok";
      },
      {
        isRetryable: () => true,
        baseDelayMs: 100,
        maxDelayMs: 250,
        sleep: async (ms) => void delays.push(ms),
      },
    );
    expect(result).toBe("ok");
    expect(calls).toBe(4);
    expect(delays).toHaveLength(3);
    for (const d of delays) expect(d).toBeLessThanOrEqual(250);
  });

  /** Work that fails every time with `error(n)` on its nth call, counting its calls. */
  const alwaysFailing = (error: (call: number) => Error) => {
    let calls = 0;
    return {
      run: async (): Promise<never> => {
        throw error(++calls);
      },
      calls: () => calls,
    };
  };

  it("gives up after the configured attempts and rethrows the last failure", async () => {
    const work = alwaysFailing((call) => new Error(`fail ${call}`));
    await expect(
      withRetry(work.run, { isRetryable: () => true, attempts: 3, sleep: async () => {} }),
    ).rejects.toThrow("fail 3");
    expect(work.calls()).toBe(3);
  });

  it("does not retry a failure that is not retryable", async () => {
    const work = alwaysFailing(() => new Error("400"));
    await expect(withRetry(work.run, { isRetryable: () => false, sleep: async () => {} })).rejects.toThrow(
      "400",
    );
    expect(work.calls()).toBe(1);
  });

  it("waits what the server's Retry-After asks, within the cap", async () => {
    const delays: number[] = [];
    let calls = 0;
    await withRetry(
      async () => {
        if (++calls === 1) throw new Error("429");
        return 1;
      },
      { isRetryable: () => true, retryAfterMs: () => 3000, sleep: async (ms) => void delays.push(ms) },
    );
    expect(delays).toEqual([3000]);
  });

  it("by default retries what a CommandError calls transient, after its server-given delay, and nothing else", async () => {
    const delays: number[] = [];
    const failures = [
      new CommandError("Tinybird answered 429", { transient: true, retryAfterMs: 1500 }),
      new CommandError("Svix answered 503", { transient: true }),
      new CommandError("Clerk answered 401"),
    ];
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          throw failures[calls++]!;
        },
        { maxDelayMs: 10_000, sleep: async (ms) => void delays.push(ms) },
      ),
    ).rejects.toThrow("Clerk answered 401");
    expect(calls).toBe(3);
    expect(delays[0]).toBe(1500);
    expect(delays).toHaveLength(2);
    let plain = 0;
    await expect(
      withRetry(
        async () => {
          plain++;
          throw new Error("a bug, not the network");
        },
        { sleep: async () => {} },
      ),
    ).rejects.toThrow("a bug");
    expect(plain).toBe(1);
  });
});

describe("scrubSecrets", () => {
  it("redacts every credential of 8 characters or more, wherever and however often it appears", () => {
    const key = "sk_test_0123456789";
    const token = "sk_svix_abcdef";
    expect(
      scrubSecrets(`${key} then ${token}, ${key} again; short "abc"`, [key, token, "abc", undefined]),
    ).toBe('[redacted] then [redacted], [redacted] again; short "abc"');
  });

  it("also removes anything shaped like a Tinybird token, whichever side's message quotes it", () => {
    const token = "p.eyJ1IjogImFkbWluIn0.secret-part";
    expect(scrubSecrets(`bad ${token} and p.other_token_value.abc, p.s`, [token])).toBe(
      "bad [redacted] and p.[redacted], p.s",
    );
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});

describe("requireEnv", () => {
  it("names the variable and the fix when it is missing or blank", () => {
    expect(() => requireEnv("TINYBIRD_HOST", "set tinybirdHost", { TINYBIRD_HOST: " " })).toThrow(
      "TINYBIRD_HOST is not set: set tinybirdHost",
    );
    expect(requireEnv("X", "fix", { X: "v" })).toBe("v");
  });
});
