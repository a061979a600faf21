/**
 * Child process of test/local/rollup-catch-up.test.ts: opens the store on a data folder, stores the
 * lines it is given (the rollups told to wait for them for ten minutes), says so, and waits to be
 * killed, as a crash while stored rows wait for the rollups.
 */

import { LocalStore } from "../../../local/store";
import { loadProject } from "../../../tinybird-model/project";

async function main(): Promise<void> {
  const [dataDir, projectRoot, body] = process.argv.slice(2) as [string, string, string];
  const project = loadProject(projectRoot);
  const opened = await LocalStore.open({ dataDir, project, catchUpDelayMs: 600_000 });
  if (!opened.ok) throw new Error(opened.problem);
  const answer = await opened.store.append("events", body);
  process.stdout.write(`${JSON.stringify(answer)}\n`);
  setInterval(() => {}, 60_000);
}

void main();
