/** command-kit/command-runner.ts: how every command parses, fails, exits and shows progress. */
import { describe, expect, it } from "vitest";
import { type Command, InputProblems, resultCommand, runCommand } from "../../command-kit/command-runner";
import { CommandError, parseResultLine } from "../../command-kit/command-shell";
import { captureIO } from "../support/provisioning-cli";

/** A program's command: its result is the JSON line. */
const resulting = (run: () => Promise<unknown>) => resultCommand({ usage: "usage: cli.ts create", run });

async function capture(command: Command, argv: string[] = []) {
  const c = captureIO();
  const code = await runCommand(command, argv, {}, c.io);
  expect(c.code()).toBe(code);
  return { out: c.out, err: c.err, code };
}

describe("parseResultLine", () => {
  it("reads back the object a result command printed, from the last line only", async () => {
    const { out } = await capture(resulting(async () => ({ id: "ep_1", nested: { ok: true } })));
    expect(parseResultLine(out.join("\n"))).toEqual({ id: "ep_1", nested: { ok: true } });
    expect(parseResultLine(`noise from a tool\n${out[0]}\n`)).toEqual({ id: "ep_1", nested: { ok: true } });
  });

  it("is undefined for nothing, non-JSON, and JSON that is not an object", () => {
    for (const stdout of [undefined, "", "  \n", "{half", "[1,2]", "null", '"text"', "42"]) {
      expect(parseResultLine(stdout)).toBeUndefined();
    }
  });
});

describe("runCommand", () => {
  it("prints the result as one JSON line and exits 0", async () => {
    expect(await capture(resulting(async () => ({ a: 1 })))).toEqual({ out: ['{"a":1}'], err: [], code: 0 });
  });

  it("prints only the message of a CommandError and exits 1", async () => {
    const failed = await capture(
      resulting(async () => {
        throw new CommandError("Tinybird answered 403: give the token DATASOURCES:CREATE");
      }),
    );
    expect(failed).toEqual({
      out: [],
      err: ["Tinybird answered 403: give the token DATASOURCES:CREATE"],
      code: 1,
    });
  });

  it("labels an unexpected error without printing its stack", async () => {
    const failed = await capture(
      resulting(async () => {
        throw new TypeError("boom");
      }),
    );
    expect(failed.err).toEqual(["unexpected failure: boom"]);
    expect(failed.code).toBe(1);
  });

  const greet: Command<{ name: { type: "string" } }> = {
    usage: "usage: npm run greet -- --name <name>",
    options: { name: { type: "string" } },
    run: async ({ values, io }) => {
      if (!values.name) throw new InputProblems("The greeting cannot start", ["--name is required"]);
      io.stdout(`hello ${values.name}`);
      return values.name === "nobody" ? 1 : undefined;
    },
  };

  it("passes the options it declares, and the exit code the command returns", async () => {
    expect(await capture(greet, ["--name", "ada"])).toEqual({ out: ["hello ada"], err: [], code: 0 });
    expect((await capture(greet, ["--name", "nobody"])).code).toBe(1);
  });

  it("prints the usage for --help (exit 0) and after wrong usage (exit 2), running nothing", async () => {
    expect(await capture(greet, ["--help"])).toEqual({ out: [greet.usage], err: [], code: 0 });
    const wrong = await capture(greet, ["--nme", "ada"]);
    expect(wrong.code).toBe(2);
    expect(wrong.out).toEqual([]);
    expect(wrong.err[0]).toMatch(/--nme[\s\S]*\nusage: npm run greet -- --name <name>$/);
  });

  it("lists every input problem, then the usage, and exits 1", async () => {
    expect(await capture(greet)).toEqual({
      out: [],
      err: ["The greeting cannot start:\n  - --name is required\nusage: npm run greet -- --name <name>"],
      code: 1,
    });
  });

  it("ends a progress line drawn on a terminal before the failure's message", async () => {
    let screen = "";
    const c = captureIO();
    const io = {
      ...c.io,
      stderr: (line: string) => {
        screen += `${line}\n`;
      },
      terminal: {
        write: (text: string) => {
          screen += text;
        },
        isTTY: true,
      },
    };
    const code = await runCommand(
      {
        usage: "usage: npm run work",
        run: async ({ progress }) => {
          progress({ now: () => 0 }).update({ phase: "users", listed: 3, stored: 1 });
          throw new CommandError("Tinybird answered 503");
        },
      },
      [],
      {},
      io,
    );
    expect(code).toBe(1);
    expect(screen).toBe("\r\x1b[Kusers: 3 listed, 1 stored · 0 rows/s\nTinybird answered 503\n");
  });

  it("hands every argument to a wrapper of another CLI, --help included", async () => {
    let seen: string[] = [];
    const wrapper: Command = {
      usage: "usage: npm run stack -- <pulumi command>",
      passArguments: true,
      run: async ({ positionals }) => {
        seen = positionals;
        return 3;
      },
    };
    expect((await capture(wrapper, ["preview", "--diff", "--help"])).code).toBe(3);
    expect(seen).toEqual(["preview", "--diff", "--help"]);
  });
});
