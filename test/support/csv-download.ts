import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";

/** Clicks a dashboard card's CSV button: the file's name and its rows as column -> text. */
export async function downloadCsv(page: Page, endpoint: string) {
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click(`[data-endpoint="${endpoint}"] button.csv`),
  ]);
  const text = readFileSync((await download.path())!, "utf8");
  const [header, ...lines] = text.trimEnd().split("\r\n");
  const columns = header!.split(",");
  return {
    name: download.suggestedFilename(),
    text,
    columns,
    rows: lines.map((line) => Object.fromEntries(line.split(",").map((cell, i) => [columns[i]!, cell]))),
  };
}
