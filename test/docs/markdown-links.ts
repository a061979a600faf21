/** Relative links in Markdown, and GitHub's anchors for its headings: what test/docs/links.test.ts checks. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export interface Link {
  line: number;
  target: string;
}

/** Inline links and images outside fenced code blocks and code spans; external URLs left out. */
export function relativeLinks(markdown: string): Link[] {
  const links: Link[] = [];
  let fenced = false;
  markdown.split("\n").forEach((text, index) => {
    if (/^\s*(```|~~~)/.test(text)) {
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    const prose = text.replace(/(`+)[^`]*?\1/g, "");
    for (const match of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = match[1] ?? "";
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      links.push({ line: index + 1, target });
    }
  });
  return links;
}

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const text of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(text)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!heading) continue;
    const slug = (heading[1] ?? "")
      .replace(/`/g, "")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/**
 * What is wrong with each relative link of one page, as "page:line: target: reason".
 */
export function brokenLinks(page: string, markdown: string, root: string): string[] {
  const problems: string[] = [];
  for (const { line, target } of relativeLinks(markdown)) {
    const [pathPart = "", anchor = ""] = target.split("#", 2);
    const say = (reason: string) => problems.push(`${page}:${line}: ${target}: ${reason}`);
    if (pathPart === "") {
      if (!headingAnchors(markdown).has(anchor)) say(`${page} has no heading with the anchor #${anchor}`);
      continue;
    }
    const file = resolve(dirname(join(root, page)), decodeURI(pathPart));
    const where = relative(root, file);
    if (!existsSync(file)) {
      say(`${where} does not exist`);
      continue;
    }
    if (anchor && file.endsWith(".md") && !headingAnchors(readFileSync(file, "utf8")).has(anchor)) {
      say(`${where} has no heading with the anchor #${anchor}`);
    }
  }
  return problems;
}
