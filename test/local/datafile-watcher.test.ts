import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../local/sandbox";
import { type DatafileWatcher, watchDatafiles } from "../../local/start";

const FIXTURE = resolve(__dirname, "fixtures/mv-project");
let root: string;
let sandbox: Sandbox;
let watcher: DatafileWatcher;
const printed: string[] = [];
let waiting: (() => void) | undefined;
/** The watcher's next line. */
const nextLine = () =>
  new Promise<string>((resolveLine) => {
    const count = printed.length;
    waiting = () => {
      if (printed.length > count) resolveLine(printed[count]!);
    };
  });

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "datafile-watcher-"));
  cpSync(join(FIXTURE, "tinybird"), join(root, "tinybird"), { recursive: true });
  sandbox = await startSandbox({ projectRoot: root, dataDir: join(root, "data") });
  watcher = watchDatafiles(
    sandbox.store,
    root,
    (line) => {
      printed.push(line);
      waiting?.();
    },
    20,
  );
});
afterAll(async () => {
  watcher?.close();
  await sandbox?.close();
  rmSync(root, { recursive: true, force: true });
});

it("applies every save, whether the editor replaces the file (a rename, as sed -i and git do) or writes it in place", async () => {
  const datasource = join(root, "tinybird/datasources/events.datasource");
  const text = readFileSync(datasource, "utf8");
  const edits: [string, (next: string) => void][] = [
    [
      "renamed over",
      (next) => {
        writeFileSync(`${datasource}.tmp`, next);
        renameSync(`${datasource}.tmp`, datasource);
      },
    ],
    ["written in place", (next) => writeFileSync(datasource, next)],
    [
      "renamed over again",
      (next) => {
        writeFileSync(`${datasource}.tmp`, next);
        renameSync(`${datasource}.tmp`, datasource);
      },
    ],
    ["written in place again", (next) => writeFileSync(datasource, next)],
  ];
  for (const [how, save] of edits) {
    const line = nextLine();
    save(text.replace("Fixture: raw events", `Fixture: raw events, ${how}`));
    expect(await line, how).toBe("tinybird/ changed: endpoints reloaded, no stored data touched");
  }
});
