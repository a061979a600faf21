/**
 * The stack's settings: read once, checked all together, so `pulumi preview` fails with every problem
 * at once, each naming its key and the command that fixes it — and never printing a secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkApiHost } from "../lambda/api-host";
import type { ForwarderSettings } from "../lambda/config";
import { parsePath } from "../lambda/redaction/paths";
import { SVIX_REGIONS, type SvixRegion } from "../lambda/svix-source-ips";
import { PROJECT } from "../stack-access/outputs";

/**
 * Tinybird API hosts per region (from Tinybird's docs); the token only works on its own region's host.
 * Another https host is only warned about: a region Tinybird adds later must not need a release.
 */
export const TINYBIRD_HOSTS: readonly string[] = [
  "https://api.tinybird.co",
  "https://api.europe-west2.gcp.tinybird.co",
  "https://api.us-east.tinybird.co",
  "https://api.northamerica-northeast2.gcp.tinybird.co",
  "https://api.eu-central-1.aws.tinybird.co",
  "https://api.eu-west-1.aws.tinybird.co",
  "https://api.us-east.aws.tinybird.co",
  "https://api.us-west-2.aws.tinybird.co",
];

/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** The longest quiet CloudWatch can watch: an alarm evaluates at most 7 days of hourly periods. */
export const MAX_DELIVERY_QUIET_HOURS = 168;

/**
 * How a setting is stored: `text` must be non-blank, `optionalText` blank means none (undefined);
 * `integer`, `boolean` and `list` (a JSON array of strings) as Pulumi.yaml types them; `secret` must be
 * stored encrypted and comes back as a Pulumi secret, `optionalSecret` may be absent.
 */
type Kind = "text" | "optionalText" | "integer" | "boolean" | "list" | "secret" | "optionalSecret";
type Raw<K extends Kind> = K extends "integer"
  ? number
  : K extends "boolean"
    ? boolean
    : K extends "list"
      ? string[]
      : string;

/** What a check finds wrong: a phrase after the key, and a fix when the row's own does not fit. */
export class Wrong {
  constructor(
    readonly what: string,
    readonly fix?: string,
  ) {}
}
const wrong = (what: string, fix?: string) => new Wrong(what, fix);

interface CheckContext {
  /** `aws:region` once read (undefined if missing or wrong): some ARNs must be in it. */
  region: string | undefined;
  warn(message: string): void;
}

/** One row of the table: the key, its kind, its check and the fix a message names. */
interface Setting<K extends Kind, T, F extends keyof ForwarderSettings = keyof ForwarderSettings> {
  kind: K;
  /** The full Pulumi key when it is not in the project's namespace (`aws:region`). */
  key?: string;
  /** Pulumi.yaml declares no default for it: the stack must set it. */
  required?: boolean;
  /** The value the stack uses, or what is wrong; never quotes a credential. Default: the value as read. */
  check?: (value: Raw<K>, context: CheckContext) => T | Wrong;
  /** Lists: what each item must be, and how a message describes one. */
  item?: { test: (value: string) => boolean; hint: string };
  /** Credentials: what the value is, for messages. */
  hint?: string;
  /** The command that fixes a missing or wrong value (each kind has a generic one). */
  fix?: string;
  /** The forwarder's setting (lambda/config.ts) this one is, passed to it as checked here. */
  forwarder?: F;
}

function setting<K extends Kind, T = Raw<K>, F extends keyof ForwarderSettings = never>(
  row: Setting<K, T, F>,
): Setting<K, T, F> {
  return row;
}

type ValueOf<S> =
  S extends Setting<infer K, infer T>
    ? K extends "secret"
      ? pulumi.Output<string>
      : K extends "optionalSecret"
        ? pulumi.Output<string> | undefined
        : K extends "optionalText"
          ? T | undefined
          : T
    : never;

const HOST_FIX = `pulumi config set tinybirdHost <host> with your workspace's region host, one of ${TINYBIRD_HOSTS.join(
  ", ",
)} (or http://localhost:7181 for Tinybird Local)`;
const CLERK_KEY_HINT = "a secret key from Clerk → API keys (sk_live_… or sk_test_…)";

/**
 * Every setting the stack reads, in the order problems are listed. Pulumi.yaml declares each one's type
 * and default (the only place defaults live: the Pulumi CLI hands the program every declared key,
 * a default filled in where the stack sets none); this table checks the values and shapes them.
 * Adding a setting is one row here and its use in infra/index.ts; a setting of the forwarder names its
 * field of lambda/config.ts (`forwarder:`) and reaches it through forwarderSettings, with no other use.
 */
export const SETTINGS = {
  region: setting({
    kind: "text",
    key: "aws:region",
    required: true,
    fix: "pulumi config set aws:region eu-west-1 (the AWS region to deploy to)",
    check: (v) => (/^[a-z]{2}(-[a-z]+)+-\d+$/.test(v) ? v : wrong(`"${v}" is not an AWS region name`)),
  }),
  tinybirdHost: setting({
    kind: "text",
    required: true,
    fix: HOST_FIX,
    check: checkTinybirdHost,
    forwarder: "tinybirdHost",
  }),
  tinybirdAdminToken: setting({
    kind: "secret",
    required: true,
    hint: "a workspace admin token from Tinybird → Tokens",
    fix: "pulumi config set --secret tinybirdAdminToken <token> (a workspace admin token from Tinybird → Tokens)",
  }),
  tinybirdDataSource: setting({
    kind: "text",
    fix: "pulumi config set tinybirdDataSource <name> (letters, digits and _)",
    check: (v) =>
      /^[A-Za-z_][A-Za-z0-9_]*$/.test(v)
        ? v
        : wrong(
            `"${v}" is not a Tinybird data source name (letters, digits and _, not starting with a digit)`,
          ),
  }),
  tinybirdDeploymentWaitMinutes: setting({
    kind: "integer",
    check: (n) => (n >= 1 && n <= 1440 ? n : wrong("must be between 1 and 1440 (minutes)")),
  }),
  tinybirdDeleteDataOnDestroy: setting({ kind: "boolean" }),
  tinybirdAllowDestructiveOperations: setting({ kind: "boolean" }),
  clerkSecretKey: setting({
    kind: "optionalSecret",
    hint: CLERK_KEY_HINT,
    check: (v) => {
      if (v.startsWith("pk_"))
        return wrong("holds a publishable key (pk_…); the registration needs the secret key (sk_…)");
      return v.startsWith("sk_") ? v : wrong("does not look like a Clerk secret key (sk_…)");
    },
  }),
  clerkWebhookSigningSecret: setting({
    kind: "optionalSecret",
    hint: "the endpoint's signing secret from Clerk → Webhooks (whsec_…)",
    check: (v) =>
      v.startsWith("whsec_") ? v : wrong("does not look like a webhook signing secret (whsec_…)"),
  }),
  clerkEventTypes: setting({
    kind: "list",
    item: {
      test: (v) => /^[a-z][A-Za-z]*(\.[a-z][A-Za-z_]*)+$/.test(v),
      hint: "a Clerk event type such as user.created",
    },
  }),
  lambdaMemoryMb: setting({
    kind: "integer",
    check: (n) => (n >= 128 && n <= 10240 ? n : wrong("must be between 128 and 10240 (MB)")),
  }),
  /** -1 (no reservation: the API's throttling is the bound) becomes undefined. */
  lambdaReservedConcurrency: setting({
    kind: "integer",
    check: (n) => {
      if (n === 0) return wrong("0 would stop the forwarder from running at all; use -1 for no reservation");
      if (n === -1) return undefined;
      return n >= 1 && n <= 1000 ? n : wrong("must be -1 (no reservation) or between 1 and 1000");
    },
  }),
  logRetentionDays: setting({
    kind: "integer",
    check: (n) =>
      LOG_RETENTION_DAYS.includes(n)
        ? n
        : wrong(`must be one of CloudWatch's periods: ${LOG_RETENTION_DAYS.join(", ")}`),
  }),
  apiThrottleRateLimit: setting({
    kind: "integer",
    check: (n) => (n >= 1 && n <= 10000 ? n : wrong("must be between 1 and 10000 (requests per second)")),
  }),
  apiThrottleBurstLimit: setting({
    kind: "integer",
    check: (n) => (n >= 1 && n <= 5000 ? n : wrong("must be between 1 and 5000 (requests)")),
  }),
  /** 0 (no deliveries-stopped alarm) becomes undefined. */
  deliveryQuietHours: setting({
    kind: "integer",
    check: (n) => {
      if (n === 0) return undefined;
      return n >= 1 && n <= MAX_DELIVERY_QUIET_HOURS
        ? n
        : wrong(
            `must be 0 (no alarm) or between 1 and ${MAX_DELIVERY_QUIET_HOURS} hours (CloudWatch evaluates an alarm over at most 7 days)`,
          );
    },
  }),
  alarmEmail: setting({
    kind: "optionalText",
    fix: "pulumi config set alarmEmail ops@example.com",
    check: (v) => (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v) ? v : wrong(`"${v}" is not an email address`)),
  }),
  alarmTopicArn: setting({
    kind: "optionalText",
    fix: "pulumi config set alarmTopicArn arn:aws:sns:<region>:<account>:<topic>",
    check: (v, { region }) => {
      const m = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]+$/.exec(v);
      if (!m) return wrong(`"${v}" is not a standard SNS topic ARN`);
      if (region !== undefined && m[1] !== region) {
        return wrong(
          `is in ${m[1]}, but CloudWatch alarms only notify topics in their own region (${region})`,
          `pulumi config set alarmTopicArn <a topic in ${region}>, or pulumi config set alarmEmail <address> to have the stack create one`,
        );
      }
      return v;
    },
  }),
  /** A customer-managed KMS key for the secret; undefined means Secrets Manager's AWS-managed key. */
  kmsKeyArn: setting({
    kind: "optionalText",
    fix: "pulumi config set kmsKeyArn arn:aws:kms:<region>:<account>:key/<key-id>",
    check: (v, { region }) => {
      const m = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key\/[A-Za-z0-9-]+$/.exec(v);
      if (!m) {
        return wrong(
          `"${v}" is not a KMS key ARN (an alias will not do: the forwarder's role is granted kms:Decrypt on the key itself)`,
        );
      }
      if (region !== undefined && m[1] !== region) {
        return wrong(
          `is in ${m[1]}, but Secrets Manager only encrypts with keys in the secret's region (${region})`,
          `pulumi config set kmsKeyArn <a key in ${region}>, or pulumi config rm kmsKeyArn to use the AWS-managed key`,
        );
      }
      return v;
    },
  }),
  // Checked by the forwarder's own parser, so a path the stack accepts never fails at run time; it also
  // refuses the commas that REDACT_PATHS (comma-separated) could not carry.
  redactPaths: setting({
    kind: "list",
    forwarder: "redactPaths",
    item: {
      test: isDotPath,
      hint: "a dot path such as data.private_metadata or data.email_addresses.*.email_address",
    },
  }),
  pseudonymizePersonalData: setting({ kind: "boolean", forwarder: "pseudonymize" }),
  redactPrivateMetadata: setting({ kind: "boolean", forwarder: "redactPrivateMetadata" }),
  /**
   * `all` (every region Svix publishes addresses for: it cannot refuse a delivery from any of them),
   * `off` (any address), or a comma-separated list of Svix regions (`us,eu`).
   */
  svixSourceIpAllowlist: setting({
    kind: "text",
    fix: "pulumi config set svixSourceIpAllowlist all (or off, or regions such as us,eu)",
    check: (v): SvixRegion[] | Wrong => {
      const value = v.toLowerCase();
      if (value === "all") return [...SVIX_REGIONS];
      if (value === "off") return [];
      const regions = value.split(",").map((region) => region.trim());
      const unknown = regions.filter((region) => !(SVIX_REGIONS as string[]).includes(region));
      if (unknown.length > 0) {
        return wrong(
          `is "${value}": ${unknown.map((u) => `"${u}"`).join(", ")} is not a Svix region (${SVIX_REGIONS.join(", ")})`,
        );
      }
      return regions as SvixRegion[];
    },
  }),
};

type Settings = typeof SETTINGS;

/** The stack's checked settings, one field per row of SETTINGS, plus what is worth a warning. */
export type StackConfig = { [N in keyof Settings]: ValueOf<Settings[N]> } & {
  /** Things worth saying that do not stop a deployment. */
  warnings: string[];
};

/** The forwarder's setting a row is, if any. */
type ForwarderKeyOf<S> = S extends Setting<Kind, unknown, infer F> ? F : never;

/** The forwarder's settings the stack's own settings are (the rows with `forwarder`), by the forwarder's names. */
export type StackForwarderSettings = {
  [N in keyof Settings as ForwarderKeyOf<Settings[N]>]: StackConfig[N];
};

/** Picks the forwarder's settings out of the stack's, so a new one reaches it without naming it again. */
export function forwarderSettings(config: StackConfig): StackForwarderSettings {
  const picked: Record<string, unknown> = {};
  for (const name of Object.keys(SETTINGS) as (keyof Settings)[]) {
    const key = (SETTINGS[name] as Setting<Kind, unknown>).forwarder;
    if (key !== undefined) picked[key] = config[name];
  }
  return picked as StackForwarderSettings;
}

/** The Pulumi key of a row (`aws:region`, or the name in the project's namespace). */
export function settingKey(name: keyof Settings): string {
  return SETTINGS[name].key ?? name;
}

/** Every project key this program reads (`aws:region` lives in the provider's namespace). */
export const KNOWN_KEYS: readonly string[] = Object.keys(SETTINGS)
  .map((name) => settingKey(name as keyof Settings))
  .filter((key) => !key.includes(":"));

/** Where settings come from: the Pulumi runtime in a deployment, a plain map in tests. */
export interface ConfigSource {
  stack: string;
  /** Fully qualified keys (`clerk-tinybird:tinybirdHost`, `aws:region`) the stack sets. */
  keys(): string[];
  /** The raw value of a fully qualified key, or undefined. */
  get(key: string): string | undefined;
  /** Whether the stack stores the key encrypted; undefined when the runtime cannot tell. */
  isSecret(key: string): boolean | undefined;
}

/** All of a stack's configuration problems, one per line; thrown before any resource is declared. */
export class StackConfigError extends pulumi.RunError {
  override name = "StackConfigError";
  constructor(
    public readonly stackName: string,
    public readonly problems: readonly string[],
  ) {
    super(
      `Stack '${stackName}' has ${problems.length} configuration problem${problems.length === 1 ? "" : "s"}:\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
  }
}

/** Reads and checks the current stack's settings; throws StackConfigError listing every problem. */
export function readStackConfig(): StackConfig {
  // The runtime knows which keys the stack holds encrypted but does not declare that in its typings.
  const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret?: (key: string) => boolean };
  const config = parseStackConfig({
    stack: pulumi.getStack(),
    keys: () => Object.keys(pulumi.runtime.allConfig()),
    get: (key) => pulumi.runtime.getConfig(key),
    isSecret: (key) => runtime.isConfigSecret?.(key),
  });
  for (const warning of config.warnings) pulumi.log.warn(warning);
  return config;
}

/** Reads every row of SETTINGS from any source; pure apart from wrapping credentials as Pulumi secrets. */
export function parseStackConfig(source: ConfigSource): StackConfig {
  const problems: { order: number; text: string }[] = [];
  const warnings: string[] = [];
  const names = Object.keys(SETTINGS) as (keyof Settings)[];
  const problem = (name: keyof Settings, what: string, fix: string) =>
    problems.push({ order: names.indexOf(name), text: `${qualify(settingKey(name))} ${what}: ${fix}` });
  const context: CheckContext = { region: undefined, warn: (message) => warnings.push(message) };

  const values: Record<string, unknown> = {};
  for (const name of names) {
    const found = readSetting(name, SETTINGS[name] as Setting<Kind, unknown>, source, context);
    if (found instanceof Wrong)
      problem(name, found.what, found.fix ?? `pulumi config set ${settingKey(name)} <value>`);
    else values[name] = found;
    if (name === "region" && !(found instanceof Wrong)) context.region = found as string;
  }

  // Across rows: the stack either registers the endpoint (clerkSecretKey) or is given its signing secret.
  const hasKey = isSet(source, "clerkSecretKey");
  const hasSigningSecret = isSet(source, "clerkWebhookSigningSecret");
  if (!hasKey && !hasSigningSecret) {
    problem(
      "clerkSecretKey",
      "is missing",
      `pulumi config set --secret clerkSecretKey <sk_…> (${CLERK_KEY_HINT}), or, to register the endpoint ` +
        "yourself in the Clerk dashboard, pulumi config set --secret clerkWebhookSigningSecret <whsec_…>",
    );
  } else if (hasKey && hasSigningSecret) {
    problem(
      "clerkWebhookSigningSecret",
      "is set together with clerkSecretKey, but the stack either registers the endpoint (clerkSecretKey) or uses " +
        "one you made in the dashboard (clerkWebhookSigningSecret)",
      "pulumi config rm clerkWebhookSigningSecret, or pulumi config rm clerkSecretKey",
    );
  }

  warnAboutUnknownKeys(source, context);
  if (problems.length > 0) {
    throw new StackConfigError(
      source.stack,
      problems.sort((a, b) => a.order - b.order).map((p) => p.text),
    );
  }
  return { ...(values as Omit<StackConfig, "warnings">), warnings };
}

function isSet(source: ConfigSource, name: keyof Settings): boolean {
  return (source.get(qualify(settingKey(name)))?.trim() ?? "") !== "";
}

/** One row's value, or what is wrong with it (its fix filled in). */
function readSetting(
  name: keyof Settings,
  row: Setting<Kind, unknown>,
  source: ConfigSource,
  context: CheckContext,
): unknown {
  const key = settingKey(name);
  const raw = source.get(qualify(key));
  const value = raw?.trim() ?? "";
  const check = (v: unknown, fix: string): unknown => {
    const checked = row.check ? row.check(v as never, context) : v;
    return checked instanceof Wrong ? wrong(checked.what, checked.fix ?? fix) : checked;
  };

  switch (row.kind) {
    case "secret":
    case "optionalSecret": {
      if (value === "") return row.required ? wrong("is missing", row.fix) : undefined;
      const fix = `pulumi config set --secret ${key} <value> (${row.hint})`;
      if (source.isSecret(qualify(key)) === false) {
        return wrong(
          `is stored in plain text in Pulumi.${source.stack}.yaml`,
          `pulumi config set --secret ${key} <value> to encrypt it (${row.hint}); if that file was committed, rotate the credential`,
        );
      }
      const checked = check(value, fix);
      return checked instanceof Wrong ? checked : pulumi.secret(checked as string);
    }
    case "optionalText":
      return value === "" ? undefined : check(value, row.fix ?? `pulumi config set ${key} <value>`);
    case "text": {
      const fix = row.fix ?? `pulumi config set ${key} <value>`;
      if (value === "") return raw === undefined ? notSet(row, fix) : wrong("is empty", fix);
      return check(value, fix);
    }
    case "boolean": {
      const fix = `pulumi config set ${key} true (or false)`;
      if (raw === undefined) return notSet(row, fix);
      if (value !== "true" && value !== "false") return wrong(`is "${value}", not true or false`, fix);
      return check(value === "true", fix);
    }
    case "integer": {
      const fix = `pulumi config set ${key} <number>, or pulumi config rm ${key} for the default Pulumi.yaml declares`;
      if (raw === undefined) return notSet(row, fix);
      const n = Number(value);
      const checked = Number.isInteger(n) ? check(n, fix) : wrong("must be a whole number", fix);
      return checked instanceof Wrong ? wrong(`is "${value}": it ${checked.what}`, checked.fix) : checked;
    }
    case "list": {
      const item = row.item!;
      const fix = `pulumi config set --path '${key}[0]' <value> (one line per item: ${key}[1], ${key}[2]…), each ${item.hint}`;
      if (raw === undefined) return notSet(row, fix);
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = undefined;
      }
      if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === "string")) {
        return wrong(`is "${value}", not a list of strings`, fix);
      }
      const bad = parsed.filter((v) => !item.test(v));
      if (bad.length > 0) {
        return wrong(
          `has ${bad.map((v) => `"${v}"`).join(", ")}, which ${bad.length === 1 ? "is" : "are"} not ${item.hint}`,
          fix,
        );
      }
      return check([...new Set(parsed)], fix);
    }
  }
}

/**
 * A key absent altogether. The Pulumi CLI passes every key Pulumi.yaml declares, its default filled in,
 * so only a required one can be absent — unless the program runs outside the CLI.
 */
function notSet(row: Setting<Kind, unknown>, fix: string): Wrong {
  return row.required
    ? wrong("is missing", fix)
    : wrong(
        "is not set, though Pulumi.yaml declares its default",
        "run the program through the Pulumi CLI (npm run preview), which hands it Pulumi.yaml's defaults",
      );
}

function checkTinybirdHost(raw: string, { warn }: CheckContext): string | Wrong {
  const checked = checkApiHost(raw);
  if (!checked.ok) return wrong(checked.problem);
  const origin = checked.url.origin;
  if (checked.local) {
    warn(
      `${PROJECT}:tinybirdHost points at Tinybird Local (${origin}): the provisioning runs on this machine and ` +
        "reaches it, but the forwarder runs in AWS and cannot; use it with a local AWS emulator only.",
    );
  } else if (!TINYBIRD_HOSTS.includes(origin)) {
    warn(
      `${PROJECT}:tinybirdHost "${origin}" is not one of the Tinybird region hosts this project knows ` +
        `(${TINYBIRD_HOSTS.join(", ")}). If it is a new region, go ahead; if not, the provisioning will fail ` +
        "to reach Tinybird or to use the token: copy the API host from Tinybird → your workspace's settings " +
        "and pulumi config set tinybirdHost <host>.",
    );
  }
  return origin;
}

function warnAboutUnknownKeys(source: ConfigSource, { warn }: CheckContext): void {
  const prefix = `${PROJECT}:`;
  for (const full of source.keys()) {
    if (!full.startsWith(prefix)) continue;
    const key = full.slice(prefix.length);
    if (KNOWN_KEYS.includes(key)) continue;
    const near = KNOWN_KEYS.find((k) => k.toLowerCase() === key.toLowerCase());
    warn(
      `${full} is not a setting this stack reads${near ? ` (did you mean ${near}?)` : ""}; it has no effect.`,
    );
  }
}

function isDotPath(path: string): boolean {
  try {
    parsePath(path);
    return true;
  } catch {
    return false;
  }
}

function qualify(key: string): string {
  return key.includes(":") ? key : `${PROJECT}:${key}`;
}
