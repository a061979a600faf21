import { spawn } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

it("finishes stopping when a second Ctrl-C arrives while it stops (a terminal's, relayed by tsx)", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "fixtures/stops-slowly.ts")], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  const waiting: (() => void)[] = [];
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
    for (const check of [...waiting]) check();
  });
  const printed = (line: string) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (!out.split("\n").includes(line)) return;
        waiting.splice(waiting.indexOf(check), 1);
        resolve();
      };
      waiting.push(check);
      check();
    });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  await printed("running");
  child.kill("SIGINT");
  await printed("stopping");
  child.kill("SIGINT");
  child.kill("SIGTERM");
  // Lets it finish: had a signal ended it, it would not print "stopped".
  child.stdin!.end();
  expect(await exited).toEqual({ code: 0, signal: null });
  expect(out.split("\n").filter(Boolean)).toEqual(["running", "stopping", "stopped"]);
});
