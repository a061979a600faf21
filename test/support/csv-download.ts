import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";

/** RFC 4180 records: fields split on commas outside quotes, `""` inside quotes read as one quote. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      record.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      records.push([...record, field]);
      record = [];
      field = "";
      i++;
    } else field += c;
  }
  if (field !== "" || record.length > 0) records.push([...record, field]);
  return records;
}

/** Clicks a button (a dashboard card's CSV by default): the file's name and its rows as column -> text. */
export async function downloadCsv(page: Page, endpoint: string, button = "button.csv") {
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click(`[data-endpoint="${endpoint}"] ${button}`),
  ]);
  const text = readFileSync((await download.path())!, "utf8");
  const [columns, ...records] = parseCsv(text);
  return {
    name: download.suggestedFilename(),
    text,
    columns: columns!,
    rows: records.map((cells) => Object.fromEntries(cells.map((cell, i) => [columns![i]!, cell]))),
  };
}
