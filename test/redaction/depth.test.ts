import { describe, expect, it } from "vitest";
import { createRedactor, MAX_DEPTH, REDACTED, TOO_DEEP } from "../../lambda/redaction";

/** An object chain `{ n: { n: … { leaf } } }` whose innermost object sits at `depth` below the event. */
function chain(depth: number, leaf: Record<string, unknown>): Record<string, unknown> {
  let node: Record<string, unknown> = leaf;
  for (let level = depth; level > 1; level--) node = { n: node };
  return node;
}

function innermost(event: Record<string, unknown>, depth: number): unknown {
  let node: unknown = event.data;
  for (let level = 1; level < depth; level++) node = (node as Record<string, unknown>).n;
  return node;
}

describe("nesting depth", () => {
  const redact = createRedactor();

  it("walks every level up to MAX_DEPTH, redacting and keeping as usual", () => {
    const leaf = { token: "tok_live_secret", plan: "pro" };
    const event = { type: "user.updated", data: chain(MAX_DEPTH - 1, leaf) };
    const out = redact(event);
    expect(innermost(out, MAX_DEPTH - 1)).toEqual({ token: REDACTED, plan: "pro" });
  });

  it("replaces an object or array past MAX_DEPTH by a marker instead of overflowing", () => {
    const deep = JSON.parse(`${"[".repeat(20_000)}${"]".repeat(20_000)}`) as unknown;
    const event = { type: "user.updated", data: chain(MAX_DEPTH - 1, { deep, token: "tok_live_secret" }) };
    const out = redact(event);
    expect(innermost(out, MAX_DEPTH - 1)).toEqual({ deep: TOO_DEEP, token: REDACTED });
    expect(JSON.stringify(out)).not.toContain("tok_live_secret");
    // The input is left as it was.
    expect(innermost(event, MAX_DEPTH - 1)).toMatchObject({ deep, token: "tok_live_secret" });
  });
});
