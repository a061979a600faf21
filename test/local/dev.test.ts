/**
 * `npm run dev` and `npm run send`: the dev server (the handler behind the API Gateway adapter,
 * secrets from the environment) receiving events signed and sent by the send command.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCommand } from "../../command-kit/command-runner";
import { MAX_REQUEST_BYTES, serveApiGateway } from "../../local/api-gateway-adapter";
import { type DevServer, devCommand, startDevServer } from "../../local/dev";
import { listSampleTypes, sendCommand, sendSamples } from "../../local/send";
import {
  clerkFixture,
  ROTATED_SIGNING_SECRET,
  SIGNING_SECRET,
  signedEvent,
  TINYBIRD_TOKEN,
  tinybirdStored,
} from "../support/forwarder-stubs";
import { type StubServer, startStub } from "../support/http-stub";

/** npm run send through the one runner: every line it printed (stdout and stderr, in order), its exit code. */
const main = (argv: string[], env: NodeJS.ProcessEnv, print: (line: string) => void) =>
  runCommand(sendCommand(), argv, env, { stdout: print, stderr: print, exit: () => {} });

let tinybird: StubServer;
let dev: DevServer;
const logs: string[] = [];

beforeAll(async () => {
  tinybird = await startStub(() => tinybirdStored());
  dev = await startDevServer(
    { TINYBIRD_HOST: tinybird.url, TINYBIRD_TOKEN, CLERK_WEBHOOK_SECRET: SIGNING_SECRET, PORT: "0" },
    (line) => logs.push(line),
  );
});
afterAll(async () => {
  await dev.close();
  await tinybird.close();
});
beforeEach(() => {
  tinybird.requests.length = 0;
  logs.length = 0;
});

describe("npm run send to npm run dev", () => {
  it("signs each sample as a new message that the forwarder verifies and forwards", async () => {
    const sentAt = Date.now();
    const results = await sendSamples({
      url: dev.webhookUrl,
      signingSecret: SIGNING_SECRET,
      events: ["user.created", "session.created"],
      count: 2,
      now: () => sentAt,
    });
    expect(results.map((r) => [r.type, r.status, r.code])).toEqual([
      ["user.created", 200, "forwarded"],
      ["user.created", 200, "forwarded"],
      ["session.created", 200, "forwarded"],
      ["session.created", 200, "forwarded"],
    ]);
    const lines = tinybird.requests.map((r) => JSON.parse(r.text));
    expect(new Set(lines.map((l) => l.event_id)).size).toBe(4);
    expect(lines.map((l) => l.event_id)).toEqual(results.map((r) => r.id));
    // Live Clerk sends milliseconds; the samples' seconds are replaced by the send time.
    expect(lines.every((l) => l.timestamp === sentAt)).toBe(true);
    expect(lines[2]).toMatchObject({ type: "session.created", data: clerkFixture("session.created").data });
    expect(tinybird.requests[0]!.headers.authorization).toBe(`Bearer ${TINYBIRD_TOKEN}`);
  });

  it("is refused with 401 when signed with another secret", async () => {
    const results = await sendSamples({
      url: dev.webhookUrl,
      signingSecret: ROTATED_SIGNING_SECRET,
      events: ["user.created"],
    });
    expect(results.map((r) => [r.status, r.code])).toEqual([[401, "signature_mismatch"]]);
    expect(tinybird.requests).toHaveLength(0);
  });

  it("has a sample for user.created, session.created and every other fixture type", () => {
    expect(listSampleTypes()).toEqual(
      expect.arrayContaining(["user.created", "session.created", "email.created"]),
    );
  });

  it("prints one line per event and a summary, never the secret", async () => {
    const printed: string[] = [];
    const code = await main(
      ["--url", dev.webhookUrl, "--event", "user.created,organization.created"],
      {
        CLERK_WEBHOOK_SECRET: SIGNING_SECRET,
      },
      (line) => printed.push(line),
    );
    expect(code).toBe(0);
    expect(printed).toHaveLength(3);
    expect(printed[2]).toBe(`2/2 accepted by ${dev.webhookUrl}`);
    expect(printed.join("\n")).not.toContain(SIGNING_SECRET.slice(6));
    expect(logs.join("\n")).not.toContain(SIGNING_SECRET.slice(6));
    expect(logs.join("\n")).not.toContain(TINYBIRD_TOKEN);
  });

  it("exits 1 when an event is refused, 2 without a secret, and documents its flags", async () => {
    const quiet = () => {};
    expect(
      await main(["--url", dev.webhookUrl], { CLERK_WEBHOOK_SECRET: ROTATED_SIGNING_SECRET }, quiet),
    ).toBe(1);
    const empty = mkdtempSync(join(tmpdir(), "send-no-secret-"));
    expect(await main(["--url", dev.webhookUrl], { LOCAL_DATA_DIR: empty }, quiet)).toBe(2);
    rmSync(empty, { recursive: true, force: true });
    const help: string[] = [];
    expect(await main(["--help"], {}, (line) => help.push(line))).toBe(0);
    // Every flag it takes has its own line in the list, not only a mention.
    for (const flag of [...Object.keys(sendCommand().options ?? {}), "help"]) {
      expect(help.join("\n")).toMatch(new RegExp(`^ {2}--${flag}\\b`, "m"));
    }
    expect(help.join("\n")).toContain("CLERK_WEBHOOK_SECRET");
  });
});

describe("npm run send to the running npm start", () => {
  it("finds its signing secret and its webhook in the data folder, with no flag", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "send-npm-start-"));
    try {
      writeFileSync(join(dataDir, "signing-secret"), `${SIGNING_SECRET}\n`);
      const running = { pid: process.pid, url: "http://127.0.0.1:1", webhookUrl: dev.webhookUrl };
      writeFileSync(join(dataDir, "npm-start.json"), JSON.stringify({ ...running, signingSecret: "file" }));
      const printed: string[] = [];
      expect(
        await main(["--event", "user.created"], { LOCAL_DATA_DIR: dataDir }, (l) => printed.push(l)),
      ).toBe(0);
      expect(printed.at(-1)).toBe(`1/1 accepted by ${dev.webhookUrl}`);
      expect(printed.join("\n")).not.toContain(SIGNING_SECRET.slice(6));

      // Started with a Clerk endpoint's secret: send says to use the same.
      writeFileSync(
        join(dataDir, "npm-start.json"),
        JSON.stringify({ ...running, signingSecret: "CLERK_WEBHOOK_SECRET" }),
      );
      printed.length = 0;
      expect(await main([], { LOCAL_DATA_DIR: dataDir }, (l) => printed.push(l))).toBe(2);
      expect(printed).toEqual([
        expect.stringMatching(/verifies with the CLERK_WEBHOOK_SECRET it was started with/),
      ]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("the dev server's API Gateway adapter", () => {
  it("hands a non-text body over base64-encoded, as API Gateway does, and it still verifies", async () => {
    const event = signedEvent(clerkFixture("user.created"));
    const response = await fetch(dev.webhookUrl, {
      method: "POST",
      headers: { ...(event.headers as Record<string, string>), "content-type": "application/octet-stream" },
      body: event.body!,
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(tinybird.requests[0]!.text).type).toBe("user.created");
  });

  it("joins a repeated header's values with a comma, as API Gateway does", async () => {
    const seen: APIGatewayProxyEventV2[] = [];
    const gateway = await serveApiGateway(async (event) => {
      seen.push(event);
      return { statusCode: 204 };
    });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(gateway.url, { method: "POST", headers: { "x-repeated": ["a", "b"] } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end("{}");
      });
      expect(status).toBe(204);
      expect(seen[0]!.headers["x-repeated"]).toBe("a,b");
    } finally {
      await gateway.close();
    }
  });

  it("answers 413 as API Gateway does to a body streamed past its limit, without buffering it or calling the handler", async () => {
    let calls = 0;
    const gateway = await serveApiGateway(async () => {
      calls++;
      return { statusCode: 204 };
    });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(gateway.url, { method: "POST" }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        // Chunked, with no declared length: only the stream's size can stop it.
        const chunk = Buffer.alloc(1024 * 1024, 0x61);
        let sent = 0;
        const pump = () => {
          while (sent <= MAX_REQUEST_BYTES + chunk.length) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once("drain", pump);
          }
          req.end();
        };
        req.on("error", (error: NodeJS.ErrnoException) =>
          // The server may close the connection before the client finished writing.
          error.code === "EPIPE" || error.code === "ECONNRESET" ? undefined : reject(error),
        );
        pump();
      });
      expect(status).toBe(413);
      expect(calls).toBe(0);
    } finally {
      await gateway.close();
    }
  });

  it("serves only POST /webhooks/clerk: anything else gets API Gateway's 404 and never reaches the forwarder", async () => {
    const signed = signedEvent(clerkFixture("user.created"));
    const post = { method: "POST", headers: signed.headers as Record<string, string>, body: signed.body! };
    const answers = await Promise.all([
      fetch(dev.webhookUrl),
      fetch(`${dev.url}/`, post),
      fetch(`${dev.url}/webhooks/clerk/extra`, post),
      fetch(`${dev.url}/webhooks`, post),
    ]);
    expect(answers.map((r) => r.status)).toEqual([404, 404, 404, 404]);
    expect(await answers[0]!.json()).toEqual({ message: "Not Found" });
    expect(tinybird.requests).toHaveLength(0);
    expect(logs).toHaveLength(0);
    const routed = await fetch(`${dev.webhookUrl}?source=svix`, post);
    expect(routed.status).toBe(200);
    expect(tinybird.requests).toHaveLength(1);
  });
});

it("refuses to start with a signing secret whose key is too short to keep forgeries out, saying how to get one", async () => {
  for (const weak of ["whsec_", "whsec_c2hvcnQta2V5", "not-a-secret"]) {
    await expect(
      startDevServer({ TINYBIRD_HOST: tinybird.url, TINYBIRD_TOKEN, CLERK_WEBHOOK_SECRET: weak, PORT: "0" }),
    ).rejects.toThrow(
      /CLERK_WEBHOOK_SECRET is not a signing secret[\s\S]*Clerk dashboard[\s\S]*randomBytes\(24\)/,
    );
  }
});

describe("npm run send to an address nothing serves", () => {
  let url: string;
  beforeAll(async () => {
    const closed = await serveApiGateway(async () => ({ statusCode: 200 }));
    await closed.close();
    url = `${closed.url}/webhooks/clerk`;
  });

  it("names the URL given with --url that it could not reach", async () => {
    const printed: string[] = [];
    expect(await main(["--url", url], { CLERK_WEBHOOK_SECRET: SIGNING_SECRET }, (l) => printed.push(l))).toBe(
      1,
    );
    expect(printed).toEqual([
      expect.stringContaining(`could not reach ${url} (ECONNREFUSED), given with --url`),
    ]);
    expect(printed[0]).toContain("npm start");
  });

  it("says first that no npm start runs on LOCAL_DATA_DIR, then that npm run dev's address did not answer, and the fixes", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "send-no-npm-start-"));
    try {
      const printed: string[] = [];
      const env = { LOCAL_DATA_DIR: dataDir, CLERK_WEBHOOK_SECRET: SIGNING_SECRET };
      const io = {
        stdout: (l: string) => printed.push(l),
        stderr: (l: string) => printed.push(l),
        exit: () => {},
      };
      expect(await runCommand(sendCommand({ devUrl: url }), [], env, io)).toBe(1);
      expect(printed).toEqual([
        `no npm start runs on ${dataDir} (no npm-start.json of a live process there), so this tried npm run dev's ` +
          `webhook ${url}: it did not answer (ECONNREFUSED). Start LOCAL_DATA_DIR=${dataDir} npm start in another ` +
          "terminal, or npm run dev, or send elsewhere with --url (a deployed stack: pulumi stack output webhookUrl).",
      ]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

it("refuses to start without the token and signing secret, naming both", async () => {
  await expect(startDevServer({ TINYBIRD_HOST: tinybird.url, PORT: "0" })).rejects.toThrow(
    /TINYBIRD_TOKEN[\s\S]*CLERK_WEBHOOK_SECRET/,
  );
});

it("npm run dev serves until interrupted, then closes; without its settings it names them and its usage", async () => {
  const printed: string[] = [];
  let started = () => {};
  let interrupt = () => {};
  const serving = new Promise<void>((resolve) => {
    started = resolve;
  });
  const env = {
    TINYBIRD_HOST: tinybird.url,
    TINYBIRD_TOKEN,
    CLERK_WEBHOOK_SECRET: SIGNING_SECRET,
    PORT: "0",
  };
  const run = runCommand(devCommand, [], env, {
    stdout: (line) => printed.push(line),
    stderr: (line) => printed.push(line),
    exit: () => {},
    interrupted: () => {
      started();
      return new Promise<void>((stop) => {
        interrupt = stop;
      });
    },
  });
  await serving;
  const url = /^forwarder on (\S+) -> /.exec(printed[0]!)?.[1];
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/clerk$/);
  const [sent] = await sendSamples({ url: url!, signingSecret: SIGNING_SECRET, events: ["user.created"] });
  expect(sent!.status).toBe(200);
  interrupt();
  expect(await run).toBe(0);
  await expect(fetch(url!, { method: "POST" })).rejects.toThrow();

  const missing: string[] = [];
  const io = { stdout: () => {}, stderr: (line: string) => missing.push(line), exit: () => {} };
  expect(await runCommand(devCommand, [], { PORT: "0" }, io)).toBe(1);
  expect(missing[0]).toMatch(
    /^The dev server cannot start:\n {2}- TINYBIRD_TOKEN[\s\S]*CLERK_WEBHOOK_SECRET[\s\S]*\nusage: npm run dev/,
  );
});
