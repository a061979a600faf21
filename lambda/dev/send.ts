/**
 * `npm run send`: signs sample Clerk events with a signing secret (svix `Webhook.sign`, as Svix
 * does) and POSTs them to a URL, printing one line per event and never the secret.
 * `npm run send -- --help` lists the flags.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Webhook } from "svix";
import { localDataDir, readLocalSigningSecret, readRunningPipeline } from "./local-pipeline-files";

/** The repository's real-shaped Clerk payloads, one `<type>.json` per event type. */
export const SAMPLES_DIR = join(__dirname, "..", "..", "test", "fixtures", "clerk-events");
export const DEFAULT_URL = "http://127.0.0.1:8787/webhooks/clerk";
export const DEFAULT_EVENTS = ["user.created", "session.created", "organization.created"];

export interface SendOptions {
  url: string;
  signingSecret: string;
  /** Event types, each read from `<samplesDir>/<type>.json`. */
  events: string[];
  /** Times each event is sent, each as a new message. */
  count?: number;
  samplesDir?: string;
  /** Keep the sample's own `timestamp` instead of now in milliseconds (what live Clerk sends). */
  keepTimestamp?: boolean;
  fetch?: typeof fetch;
  now?: () => number;
}

export interface SendResult {
  type: string;
  id: string;
  status: number;
  /** The forwarder's `code`, or the start of whatever else answered. */
  code: string;
}

export function listSampleTypes(samplesDir = SAMPLES_DIR): string[] {
  return readdirSync(samplesDir)
    .filter((file) => file.endsWith(".json"))
    .map((file) => file.slice(0, -".json".length))
    .sort();
}

export async function sendSamples(options: SendOptions): Promise<SendResult[]> {
  const webhook = new Webhook(options.signingSecret);
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const samplesDir = options.samplesDir ?? SAMPLES_DIR;
  const results: SendResult[] = [];
  for (const type of options.events) {
    const sample = readSample(samplesDir, type);
    for (let i = 0; i < (options.count ?? 1); i += 1) {
      const sentAt = now();
      const body = JSON.stringify(options.keepTimestamp ? sample : { ...sample, timestamp: sentAt });
      const id = `msg_${randomBytes(12).toString("hex")}`;
      const response = await doFetch(options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "svix-id": id,
          "svix-timestamp": String(Math.floor(sentAt / 1000)),
          "svix-signature": webhook.sign(id, new Date(sentAt), body),
        },
        body,
      });
      results.push({ type, id, status: response.status, code: codeOf(await response.text()) });
    }
  }
  return results;
}

function readSample(samplesDir: string, type: string): Record<string, unknown> {
  const known = listSampleTypes(samplesDir);
  if (!known.includes(type)) {
    throw new Error(`no sample for "${type}" in ${samplesDir}; known: ${known.join(", ")}`);
  }
  return JSON.parse(readFileSync(join(samplesDir, `${type}.json`), "utf8")) as Record<string, unknown>;
}

/** Why fetch could not talk to the URL at all (`ECONNREFUSED`, …), or undefined for any other error. */
function unreachable(error: unknown): string | undefined {
  if (!(error instanceof TypeError) || error.message !== "fetch failed") return undefined;
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  return String(cause?.code ?? cause?.message ?? "no connection");
}

function codeOf(text: string): string {
  try {
    const code = (JSON.parse(text) as { code?: unknown }).code;
    if (typeof code === "string") return code;
  } catch {
    // not the forwarder's JSON
  }
  return text.slice(0, 80).replace(/\s+/g, " ");
}

const HELP = `Signs sample Clerk events and POSTs them like Svix does.

Usage: npm run send -- [flags]

  --url URL          where to send (default: the webhook of the npm start running on LOCAL_DATA_DIR,
                     else ${DEFAULT_URL}, npm run dev)
  --event TYPE       an event type to send; repeat or comma-separate (default ${DEFAULT_EVENTS.join(",")})
  --all              send one of every sample type
  --count N          send each event N times, each as a new message (default 1)
  --samples DIR      sample directory, one <type>.json each (default test/fixtures/clerk-events)
  --keep-timestamp   keep the sample's timestamp instead of now in milliseconds
  --list             list the sample types and exit
  --help             this text

The signing secret (whsec_…) comes from CLERK_WEBHOOK_SECRET (or --secret, which shows in your
shell history and the process list), else from npm start's data folder (LOCAL_DATA_DIR, default
.local). It is never printed.

Example:
  CLERK_WEBHOOK_SECRET=whsec_… npm run send -- --event user.created,session.created --count 2
`;

export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  print: (line: string) => void,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: "string" },
      secret: { type: "string" },
      event: { type: "string", multiple: true },
      all: { type: "boolean" },
      count: { type: "string" },
      samples: { type: "string" },
      "keep-timestamp": { type: "boolean" },
      list: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    print(HELP);
    return 0;
  }
  const samplesDir = values.samples ?? SAMPLES_DIR;
  if (values.list) {
    print(listSampleTypes(samplesDir).join("\n"));
    return 0;
  }
  const dataDir = localDataDir(env);
  const running = readRunningPipeline(dataDir);
  let signingSecret = values.secret ?? env.CLERK_WEBHOOK_SECRET?.trim();
  if (!signingSecret && running?.signingSecret === "CLERK_WEBHOOK_SECRET") {
    print(
      `npm start on ${dataDir} verifies with the CLERK_WEBHOOK_SECRET it was started with: set the same one here`,
    );
    return 2;
  }
  signingSecret ||= readLocalSigningSecret(dataDir);
  if (!signingSecret) {
    print(
      `no signing secret: set CLERK_WEBHOOK_SECRET=whsec_…, or run npm start first (it keeps one in ${dataDir}) (see --help)`,
    );
    return 2;
  }
  const count = Number(values.count ?? 1);
  if (!Number.isInteger(count) || count < 1) {
    print(`--count "${values.count}" is not a positive whole number`);
    return 2;
  }
  const events = values.all
    ? listSampleTypes(samplesDir)
    : (values.event ?? DEFAULT_EVENTS)
        .flatMap((e) => e.split(","))
        .map((e) => e.trim())
        .filter(Boolean);
  const url = values.url ?? env.FORWARDER_URL ?? running?.webhookUrl ?? DEFAULT_URL;
  let results: SendResult[];
  try {
    results = await sendSamples({
      url,
      signingSecret,
      events,
      count,
      samplesDir,
      keepTimestamp: values["keep-timestamp"] ?? false,
    });
  } catch (error) {
    const reason = unreachable(error);
    if (reason === undefined) throw error;
    print(
      `could not reach ${url} (${reason}). Start the local server in another terminal with npm start, ` +
        "or send to a deployed stack with --url (pulumi stack output webhookUrl).",
    );
    return 1;
  }
  for (const r of results) print(`${r.status} ${r.code.padEnd(24)} ${r.type} ${r.id}`);
  const failed = results.filter((r) => r.status < 200 || r.status >= 300).length;
  print(`${results.length - failed}/${results.length} accepted by ${url}`);
  return failed === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env, (line) => process.stdout.write(`${line}\n`)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`npm run send: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
