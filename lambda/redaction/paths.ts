/**
 * Dot paths (`data.private_metadata`, `data.email_addresses.*.email_address`) compiled once into a
 * deterministic trie, so the walk follows at most one node per level whatever the number of paths.
 * Grammar (the same the stack checks for the `redactPaths` config key): segments of letters, digits, `_` or
 * `-`, or `*` for any key or array index, joined by dots. A number segment addresses that array index.
 */
import { RedactionConfigError } from "./errors";

export interface PathNode {
  /** A path ends here: the whole value is redacted. */
  terminal: boolean;
  readonly children: Map<string, PathNode>;
  any: PathNode | undefined;
}

const SEGMENT = /^(?:[A-Za-z0-9_-]+|\*)$/;

export function parsePath(path: string): string[] {
  const trimmed = path.trim();
  const segments = trimmed.split(".");
  const bad = segments.findIndex((segment) => !SEGMENT.test(segment));
  if (trimmed === "" || bad !== -1) {
    const segment = segments[bad] ?? "";
    const why =
      segment === ""
        ? `segment ${bad + 1} is empty`
        : `segment ${bad + 1} "${segment}" is neither a name (letters, digits, _ or -) nor *`;
    throw new RedactionConfigError(
      `redaction path "${path}" is not a dot path: ${why}. Use paths such as data.private_metadata or ` +
        "data.email_addresses.*.email_address (stack config redactPaths, forwarder variable REDACT_PATHS)",
    );
  }
  return segments;
}

function node(): PathNode {
  return { terminal: false, children: new Map(), any: undefined };
}

function childOrNew(at: PathNode, segment: string): PathNode {
  let next = at.children.get(segment);
  if (!next) {
    next = node();
    at.children.set(segment, next);
  }
  return next;
}

/** The trie of the given paths; undefined when there are none, so the walk skips path lookups entirely. */
export function compilePaths(paths: readonly (readonly string[])[]): PathNode | undefined {
  if (paths.length === 0) return undefined;
  const root = node();
  for (const segments of paths) {
    let at = root;
    for (const segment of segments) {
      if (segment === "*") {
        at.any ??= node();
        at = at.any;
      } else {
        at = childOrNew(at, segment);
      }
    }
    at.terminal = true;
  }
  determinize(root);
  return root;
}

/** The node for a child key: an explicit child already includes what `*` would match there. */
export function childNode(at: PathNode | undefined, key: string | number): PathNode | undefined {
  if (at === undefined) return undefined;
  if (at.children.size === 0) return at.any;
  return at.children.get(typeof key === "number" ? String(key) : key) ?? at.any;
}

// `data.*.x` and `data.user.y`: under `data.user` both apply, so `*`'s subtree is merged into every explicit
// sibling, recursively; afterwards one lookup per level is enough.
function determinize(at: PathNode): void {
  for (const child of at.children.values()) {
    if (at.any) mergeInto(child, at.any);
    determinize(child);
  }
  if (at.any) determinize(at.any);
}

function mergeInto(target: PathNode, source: PathNode): void {
  target.terminal ||= source.terminal;
  for (const [segment, child] of source.children) {
    mergeInto(childOrNew(target, segment), child);
  }
  if (source.any) {
    target.any ??= node();
    mergeInto(target.any, source.any);
  }
}
