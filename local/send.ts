/**
 * `npm run send`: signs sample Clerk events with a signing secret (svix `Webhook.sign`, as Svix
 * does) and POSTs them to a URL (the running npm start's webhook, npm run dev's, or a deployed
 * stack's), printing one line per event and never the secret. `npm run send -- --help` lists the flags.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Webhook } from "svix";
import { type Command, EXIT, runMain } from "../command-kit/command-runner";
import { CommandError, networkCause } from "../command-kit/command-shell";
import { WEBHOOK_PATH } from "../lambda/request";
import { localDataDir, notRunningOn, readLocalSigningSecret, readRunningPipeline } from "./data-folder";
import { DEFAULT_DEV_PORT } from "./dev";

/** The repository's real-shaped Clerk payloads, one `<type>.json` per event type. */
export const SAMPLES_DIR = join(__dirname, "..", "test", "fixtures", "clerk-events");
/** npm run dev's webhook. */
export const DEFAULT_URL = `http://127.0.0.1:${DEFAULT_DEV_PORT}${WEBHOOK_PATH}`;
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
    throw new CommandError(`no sample for "${type}" in ${samplesDir}: choose one of ${known.join(", ")}`);
  }
  return JSON.parse(readFileSync(join(samplesDir, `${type}.json`), "utf8")) as Record<string, unknown>;
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

const USAGE = `usage: npm run send -- [flags]
  Signs sample Clerk events and POSTs them like Svix does.

  --url URL          where to send (default: the webhook of the npm start running on LOCAL_DATA_DIR,
                     else ${DEFAULT_URL}, npm run dev)
  --event TYPE       an event type to send; repeat or comma-separate (default ${DEFAULT_EVENTS.join(",")})
  --all              send one of every sample type
  --count N          send each event N times, each as a new message (default 1)
  --samples DIR      sample directory, one <type>.json each (default test/fixtures/clerk-events)
  --keep-timestamp   keep the sample's timestamp instead of now in milliseconds
  --secret WHSEC     the signing secret (prefer CLERK_WEBHOOK_SECRET: a flag shows in your shell
                     history and the process list)
  --list             list the sample types and exit
  --help             this text

The signing secret (whsec_…) comes from --secret or CLERK_WEBHOOK_SECRET, else from npm start's
data folder (LOCAL_DATA_DIR, default .local). It is never printed.

Example:
  CLERK_WEBHOOK_SECRET=whsec_… npm run send -- --event user.created,session.created --count 2`;

const OPTIONS = {
  url: { type: "string" },
  secret: { type: "string" },
  event: { type: "string", multiple: true },
  all: { type: "boolean" },
  count: { type: "string" },
  samples: { type: "string" },
  "keep-timestamp": { type: "boolean" },
  list: { type: "boolean" },
} as const;

export interface SendDeps {
  /** npm run dev's webhook, tried when no URL is given and no npm start runs (default DEFAULT_URL). */
  devUrl?: string;
}

/**
 * Results on stdout; exit 0 when every event was accepted, 1 when one was refused or the URL could
 * not be reached, 2 when it has no signing secret or a --count it cannot use.
 */
export function sendCommand(deps: SendDeps = {}): Command<typeof OPTIONS> {
  return {
    usage: USAGE,
    options: OPTIONS,
    async run({ values, env, io }) {
      const samplesDir = values.samples ?? SAMPLES_DIR;
      if (values.list) {
        io.stdout(listSampleTypes(samplesDir).join("\n"));
        return EXIT.ok;
      }
      const dataDir = localDataDir(env);
      const running = readRunningPipeline(dataDir);
      let signingSecret = values.secret ?? env.CLERK_WEBHOOK_SECRET?.trim();
      if (!signingSecret && running?.signingSecret === "CLERK_WEBHOOK_SECRET") {
        io.stderr(
          `npm start on ${dataDir} verifies with the CLERK_WEBHOOK_SECRET it was started with: set the same one here`,
        );
        return EXIT.usage;
      }
      signingSecret ||= readLocalSigningSecret(dataDir);
      if (!signingSecret) {
        io.stderr(
          `no signing secret: set CLERK_WEBHOOK_SECRET=whsec_…, or run npm start first (it keeps one in ${dataDir}) (see --help)`,
        );
        return EXIT.usage;
      }
      const count = Number(values.count ?? 1);
      if (!Number.isInteger(count) || count < 1) {
        io.stderr(`--count "${values.count}" is not a positive whole number`);
        return EXIT.usage;
      }
      const events = values.all
        ? listSampleTypes(samplesDir)
        : (values.event ?? DEFAULT_EVENTS)
            .flatMap((e) => e.split(","))
            .map((e) => e.trim())
            .filter(Boolean);
      const given = values.url ? "--url" : env.FORWARDER_URL ? "FORWARDER_URL" : undefined;
      const url = values.url || env.FORWARDER_URL || running?.webhookUrl || (deps.devUrl ?? DEFAULT_URL);
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
        const reason = networkCause(error);
        if (reason === undefined) throw error;
        const otherFix =
          "or npm run dev, or send elsewhere with --url (a deployed stack: pulumi stack output webhookUrl).";
        throw new CommandError(
          given
            ? `could not reach ${url} (${reason}), given with ${given}: check the address and that its server runs ` +
                "(npm start and npm run dev print their webhook URL; a deployed stack: pulumi stack output webhookUrl)."
            : running
              ? `could not reach ${url} (${reason}), the webhook of the npm start on ${dataDir} (process ${running.pid}): ` +
                "it may be stopping; start it again, or send elsewhere with --url."
              : notRunningOn(env, `npm run dev's webhook ${url}`, `it did not answer (${reason})`, otherFix),
          { cause: error },
        );
      }
      for (const r of results) io.stdout(`${r.status} ${r.code.padEnd(24)} ${r.type} ${r.id}`);
      const failed = results.filter((r) => r.status < 200 || r.status >= 300).length;
      io.stdout(`${results.length - failed}/${results.length} accepted by ${url}`);
      return failed === 0 ? EXIT.ok : EXIT.failed;
    },
  };
}

if (require.main === module) void runMain(sendCommand());
