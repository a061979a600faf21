/**
 * The README's and docs/' relative links point at files that exist, and their #anchors at headings that
 * exist, so moving or renaming a page cannot silently leave a dead link behind.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { brokenLinks, relativeLinks } from "./markdown-links";

const ROOT = resolve(__dirname, "../..");

/**
 * Files other branches are writing at the time of the docs split: a link to one may dangle until that
 * branch is merged. Once a page exists this test fails until it is removed from here, so the list
 * cannot outlive its reason.
 */
const PENDING = new Set(["docs/analytics.md"]);

function pages(): string[] {
  const docs = readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`);
  return ["README.md", ...docs.sort()];
}

describe("documentation links", () => {
  it("every relative link of the README and docs/ points at a file and heading that exist", () => {
    const problems = pages().flatMap((page) =>
      brokenLinks(page, readFileSync(join(ROOT, page), "utf8"), ROOT, PENDING),
    );
    expect(problems).toEqual([]);
  });

  it("lists as pending only pages that do not exist yet", () => {
    const written = [...PENDING].filter((path) => existsSync(join(ROOT, path)));
    expect(written, "these pages exist now: remove them from PENDING in test/docs/links.test.ts").toEqual([]);
  });

  it("the README links to every docs page", () => {
    const linked = new Set(
      relativeLinks(readFileSync(join(ROOT, "README.md"), "utf8")).map(({ target }) => target.split("#")[0]),
    );
    const unlinked = pages()
      .filter((page) => page.startsWith("docs/"))
      .filter((page) => !linked.has(page));
    expect(unlinked).toEqual([]);
  });

  it("reports a missing file and a missing anchor, and ignores code, URLs and pending pages", () => {
    const markdown = [
      "# Title",
      "## What `pulumi destroy` does",
      "[ok](#title) [ok too](#what-pulumi-destroy-does) [bad anchor](#nowhere)",
      "![img](missing.png) [web](https://example.com) `[code](not-a-link.md)`",
      "```",
      "[fenced](also-not-a-link.md)",
      "```",
      "[dir](../test/) [pending](analytics.md)",
    ].join("\n");
    expect(
      brokenLinks("docs/sample.md", markdown, ROOT, PENDING).map((p) => p.replace(/^[^ ]+ /, "")),
    ).toEqual([
      "#nowhere: docs/sample.md has no heading with the anchor #nowhere",
      "missing.png: docs/missing.png does not exist",
    ]);
  });
});
