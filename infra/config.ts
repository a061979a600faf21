/**
 * The stack's settings: read once, checked all together, so `pulumi preview` fails with every problem
 * at once, each naming its key and the command that fixes it — and never printing a secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkApiHost } from "../lambda/api-host";
import { parsePath } from "../lambda/redaction/paths";
import { SVIX_REGIONS, type SvixRegion } from "../lambda/svix-source-ips";

export const PROJECT = "clerk-tinybird";

/** Defaults of the optional settings; `Pulumi.yaml` declares the same ones (a test keeps them equal). */
export const CONFIG_DEFAULTS = {
  tinybirdDataSource: "clerk_events",
  tinybirdWorkspaceKind: "auto",
  tinybirdDeleteDataOnDestroy: false,
  tinybirdAllowDestructiveOperations: false,
  clerkEventTypes: [] as string[],
  lambdaMemoryMb: 256,
  lambdaReservedConcurrency: -1,
  logRetentionDays: 30,
  apiThrottleRateLimit: 50,
  apiThrottleBurstLimit: 100,
  alarmEmail: "",
  alarmTopicArn: "",
  kmsKeyArn: "",
  redactPaths: [] as string[],
  pseudonymizePersonalData: false,
  redactPrivateMetadata: true,
  svixSourceIpAllowlist: "all",
};

/** Settings whose value is a credential: they must be stored encrypted and are never echoed. */
export const SECRET_KEYS = ["tinybirdAdminToken", "clerkSecretKey", "clerkWebhookSigningSecret"] as const;

/** Every project key this program reads (`aws:region` lives in the provider's namespace). */
export const KNOWN_KEYS: readonly string[] = [
  "tinybirdHost",
  ...SECRET_KEYS,
  ...Object.keys(CONFIG_DEFAULTS),
];

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

export type WorkspaceKind = "auto" | "classic" | "forward";
const WORKSPACE_KINDS: readonly WorkspaceKind[] = ["auto", "classic", "forward"];

export interface StackConfig {
  region: string;
  tinybird: {
    host: string;
    adminToken: pulumi.Output<string>;
    dataSourceName: string;
    workspaceKind: WorkspaceKind;
    deleteDataOnDestroy: boolean;
    allowDestructiveOperations: boolean;
  };
  clerk: {
    /** Automatic registration; exactly one of this and `webhookSigningSecret` is set. */
    secretKey?: pulumi.Output<string>;
    /** Manual mode: the signing secret of an endpoint made in the Clerk dashboard. */
    webhookSigningSecret?: pulumi.Output<string>;
    /** Empty means every event type. */
    eventTypes: string[];
  };
  forwarder: {
    memoryMb: number;
    /** Undefined: no reservation, the API's throttling is the bound. */
    reservedConcurrency?: number;
    logRetentionDays: number;
  };
  api: {
    throttleRateLimit: number;
    throttleBurstLimit: number;
    /** Svix regions whose published addresses may call; empty: any address (the check is off). */
    svixSourceRegions: SvixRegion[];
  };
  alarms: { email?: string; topicArn?: string };
  /** A customer-managed KMS key for the secret; undefined means Secrets Manager's AWS-managed key. */
  kmsKeyArn?: string;
  privacy: { redactPaths: string[]; pseudonymizePersonalData: boolean; redactPrivateMetadata: boolean };
  /** Things worth saying that do not stop a deployment. */
  warnings: string[];
}

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

/** Parses settings from any source; pure apart from wrapping credentials as Pulumi secrets. */
export function parseStackConfig(source: ConfigSource): StackConfig {
  const r = new Reader(source);

  const region = r.required(
    "aws:region",
    "pulumi config set aws:region eu-west-1 (the AWS region to deploy to)",
  );
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    r.problem(
      "aws:region",
      `"${region}" is not an AWS region name`,
      "pulumi config set aws:region eu-west-1",
    );
  }

  const host = readTinybirdHost(r);
  const adminToken = r.secret(
    "tinybirdAdminToken",
    "a workspace admin token from Tinybird → Tokens (the provisioning uses it; the forwarder never sees it)",
  );
  if (adminToken === undefined && !r.isSet("tinybirdAdminToken")) {
    r.problem(
      "tinybirdAdminToken",
      "is missing",
      "pulumi config set --secret tinybirdAdminToken <token> (a workspace admin token from Tinybird → Tokens)",
    );
  }
  const dataSourceName = r.string("tinybirdDataSource");
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(dataSourceName)) {
    r.problem(
      "tinybirdDataSource",
      `"${dataSourceName}" is not a Tinybird data source name (letters, digits and _, not starting with a digit)`,
      "pulumi config set tinybirdDataSource clerk_events",
    );
  }
  const workspaceKind = r.oneOf("tinybirdWorkspaceKind", WORKSPACE_KINDS);
  const deleteDataOnDestroy = r.boolean("tinybirdDeleteDataOnDestroy");
  const allowDestructiveOperations = r.boolean("tinybirdAllowDestructiveOperations");

  const clerkKeyHint = "a secret key from Clerk → API keys (sk_live_… or sk_test_…)";
  const clerkSecretKey = r.secret("clerkSecretKey", clerkKeyHint, (v) => {
    if (v.startsWith("pk_"))
      return "holds a publishable key (pk_…); the registration needs the secret key (sk_…)";
    return v.startsWith("sk_") ? undefined : "does not look like a Clerk secret key (sk_…)";
  });
  const signingSecret = r.secret(
    "clerkWebhookSigningSecret",
    "the endpoint's signing secret from Clerk → Webhooks (whsec_…)",
    (v) => (v.startsWith("whsec_") ? undefined : "does not look like a webhook signing secret (whsec_…)"),
  );
  const hasKey = r.isSet("clerkSecretKey");
  const hasSigningSecret = r.isSet("clerkWebhookSigningSecret");
  if (!hasKey && !hasSigningSecret) {
    r.problem(
      "clerkSecretKey",
      "is missing",
      `pulumi config set --secret clerkSecretKey <sk_…> (${clerkKeyHint}), or, to register the endpoint ` +
        "yourself in the Clerk dashboard, pulumi config set --secret clerkWebhookSigningSecret <whsec_…>",
    );
  } else if (hasKey && hasSigningSecret) {
    r.problem(
      "clerkWebhookSigningSecret",
      "is set together with clerkSecretKey, but the stack either registers the endpoint (clerkSecretKey) or uses " +
        "one you made in the dashboard (clerkWebhookSigningSecret)",
      "pulumi config rm clerkWebhookSigningSecret, or pulumi config rm clerkSecretKey",
    );
  }
  const eventTypes = r.stringList(
    "clerkEventTypes",
    (v) => /^[a-z][A-Za-z]*(\.[a-z][A-Za-z_]*)+$/.test(v),
    "a Clerk event type such as user.created",
  );

  const memoryMb = r.integer("lambdaMemoryMb", (n) =>
    n >= 128 && n <= 10240 ? undefined : "must be between 128 and 10240 (MB)",
  );
  const reserved = r.integer("lambdaReservedConcurrency", (n) => {
    if (n === 0) return "0 would stop the forwarder from running at all; use -1 for no reservation";
    return n === -1 || (n >= 1 && n <= 1000)
      ? undefined
      : "must be -1 (no reservation) or between 1 and 1000";
  });
  const logRetentionDays = r.integer("logRetentionDays", (n) =>
    LOG_RETENTION_DAYS.includes(n)
      ? undefined
      : `must be one of CloudWatch's periods: ${LOG_RETENTION_DAYS.join(", ")}`,
  );
  const rate = r.integer("apiThrottleRateLimit", (n) =>
    n >= 1 && n <= 10000 ? undefined : "must be between 1 and 10000 (requests per second)",
  );
  const burst = r.integer("apiThrottleBurstLimit", (n) =>
    n >= 1 && n <= 5000 ? undefined : "must be between 1 and 5000 (requests)",
  );

  const alarmEmail = r.optional("alarmEmail");
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    r.problem(
      "alarmEmail",
      `"${alarmEmail}" is not an email address`,
      "pulumi config set alarmEmail ops@example.com",
    );
  }
  const alarmTopicArn = r.optional("alarmTopicArn");
  if (alarmTopicArn !== undefined) {
    const m = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]+$/.exec(alarmTopicArn);
    if (!m) {
      r.problem(
        "alarmTopicArn",
        `"${alarmTopicArn}" is not a standard SNS topic ARN`,
        "pulumi config set alarmTopicArn arn:aws:sns:<region>:<account>:<topic>",
      );
    } else if (region !== undefined && m[1] !== region) {
      r.problem(
        "alarmTopicArn",
        `is in ${m[1]}, but CloudWatch alarms only notify topics in their own region (${region})`,
        `pulumi config set alarmTopicArn <a topic in ${region}>, or pulumi config set alarmEmail <address> to have the stack create one`,
      );
    }
  }

  const kmsKeyArn = r.optional("kmsKeyArn");
  if (kmsKeyArn !== undefined) {
    const m = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key\/[A-Za-z0-9-]+$/.exec(kmsKeyArn);
    if (!m) {
      r.problem(
        "kmsKeyArn",
        `"${kmsKeyArn}" is not a KMS key ARN (an alias will not do: the forwarder's role is granted kms:Decrypt on the key itself)`,
        "pulumi config set kmsKeyArn arn:aws:kms:<region>:<account>:key/<key-id>",
      );
    } else if (region !== undefined && m[1] !== region) {
      r.problem(
        "kmsKeyArn",
        `is in ${m[1]}, but Secrets Manager only encrypts with keys in the secret's region (${region})`,
        `pulumi config set kmsKeyArn <a key in ${region}>, or pulumi config rm kmsKeyArn to use the AWS-managed key`,
      );
    }
  }

  // Checked by the forwarder's own parser, so a path the stack accepts never fails at run time; it also
  // refuses the commas that REDACT_PATHS (comma-separated) could not carry.
  const redactPaths = r.stringList(
    "redactPaths",
    isDotPath,
    "a dot path such as data.private_metadata or data.email_addresses.*.email_address",
  );
  const pseudonymizePersonalData = r.boolean("pseudonymizePersonalData");
  const redactPrivateMetadata = r.boolean("redactPrivateMetadata");
  const svixSourceRegions = readSvixAllowlist(r);

  r.warnAboutUnknownKeys();
  if (r.problems.length > 0) throw new StackConfigError(source.stack, r.problems);

  return {
    region: region!,
    tinybird: {
      host: host!,
      adminToken: adminToken!,
      dataSourceName,
      workspaceKind,
      deleteDataOnDestroy,
      allowDestructiveOperations,
    },
    clerk: {
      ...(clerkSecretKey ? { secretKey: clerkSecretKey } : {}),
      ...(signingSecret ? { webhookSigningSecret: signingSecret } : {}),
      eventTypes,
    },
    forwarder: {
      memoryMb,
      ...(reserved === -1 ? {} : { reservedConcurrency: reserved }),
      logRetentionDays,
    },
    api: { throttleRateLimit: rate, throttleBurstLimit: burst, svixSourceRegions },
    alarms: {
      ...(alarmEmail ? { email: alarmEmail } : {}),
      ...(alarmTopicArn ? { topicArn: alarmTopicArn } : {}),
    },
    ...(kmsKeyArn ? { kmsKeyArn } : {}),
    privacy: { redactPaths, pseudonymizePersonalData, redactPrivateMetadata },
    warnings: r.warnings,
  };
}

function readTinybirdHost(r: Reader): string | undefined {
  const fix = `pulumi config set tinybirdHost <host> with your workspace's region host, one of ${TINYBIRD_HOSTS.join(
    ", ",
  )} (or http://localhost:7181 for Tinybird Local)`;
  const raw = r.required("tinybirdHost", fix);
  if (raw === undefined) return undefined;
  const checked = checkApiHost(raw);
  if (!checked.ok) {
    r.problem("tinybirdHost", checked.problem, fix);
    return undefined;
  }
  const origin = checked.url.origin;
  if (checked.local) {
    r.warn(
      `${PROJECT}:tinybirdHost points at Tinybird Local (${origin}): the provisioning runs on this machine and ` +
        "reaches it, but the forwarder runs in AWS and cannot; use it with a local AWS emulator only.",
    );
    return origin;
  }
  if (!TINYBIRD_HOSTS.includes(origin)) {
    r.warn(
      `${PROJECT}:tinybirdHost "${origin}" is not one of the Tinybird region hosts this project knows ` +
        `(${TINYBIRD_HOSTS.join(", ")}). If it is a new region, go ahead; if not, the provisioning will fail ` +
        "to reach Tinybird or to use the token: copy the API host from Tinybird → your workspace's settings " +
        "and pulumi config set tinybirdHost <host>.",
    );
  }
  return origin;
}

/**
 * `svixSourceIpAllowlist`: `all` (every region Svix publishes addresses for: the default, as it cannot
 * refuse a delivery from any of them), `off`, or a comma-separated list of Svix regions (`us,eu`).
 */
function readSvixAllowlist(r: Reader): SvixRegion[] {
  const value = r.string("svixSourceIpAllowlist").toLowerCase();
  if (value === "all") return [...SVIX_REGIONS];
  if (value === "off") return [];
  const regions = value.split(",").map((region) => region.trim());
  const unknown = regions.filter((region) => !(SVIX_REGIONS as string[]).includes(region));
  if (unknown.length > 0 || regions.length === 0) {
    r.problem(
      "svixSourceIpAllowlist",
      `is "${value}": ${unknown.map((u) => `"${u}"`).join(", ")} is not a Svix region (${SVIX_REGIONS.join(", ")})`,
      "pulumi config set svixSourceIpAllowlist all (or off, or regions such as us,eu)",
    );
    return [...SVIX_REGIONS];
  }
  return regions as SvixRegion[];
}

/** Typed readers that collect problems instead of throwing at the first one. */
class Reader {
  readonly problems: string[] = [];
  readonly warnings: string[] = [];

  constructor(private readonly source: ConfigSource) {}

  problem(key: string, what: string, fix: string): void {
    this.problems.push(`${qualify(key)} ${what}: ${fix}`);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  isSet(key: string): boolean {
    return this.raw(key) !== undefined;
  }

  /** The trimmed value; an empty string counts as unset (Pulumi.yaml's default for optional strings). */
  private raw(key: string): string | undefined {
    const value = this.source.get(qualify(key))?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  required(key: string, fix: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined) this.problem(key, "is missing", fix);
    return value;
  }

  optional(key: string): string | undefined {
    return this.raw(key);
  }

  string(key: keyof typeof CONFIG_DEFAULTS & string): string {
    return this.raw(key) ?? String(CONFIG_DEFAULTS[key]);
  }

  oneOf<T extends string>(key: keyof typeof CONFIG_DEFAULTS, allowed: readonly T[]): T {
    const fallback = CONFIG_DEFAULTS[key] as T;
    const value = this.raw(key);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problem(
        key,
        `is "${value}", not one of ${allowed.join(", ")}`,
        `pulumi config set ${key} ${fallback}`,
      );
      return fallback;
    }
    return value as T;
  }

  boolean(key: keyof typeof CONFIG_DEFAULTS): boolean {
    const value = this.raw(key);
    if (value === undefined) return CONFIG_DEFAULTS[key] as boolean;
    if (value !== "true" && value !== "false") {
      this.problem(key, `is "${value}", not true or false`, `pulumi config set ${key} true (or false)`);
      return CONFIG_DEFAULTS[key] as boolean;
    }
    return value === "true";
  }

  integer(key: keyof typeof CONFIG_DEFAULTS, check: (n: number) => string | undefined): number {
    const fallback = CONFIG_DEFAULTS[key] as number;
    const value = this.raw(key);
    if (value === undefined) return fallback;
    const n = Number(value);
    const wrong = Number.isInteger(n) ? check(n) : "must be a whole number";
    if (wrong) {
      this.problem(key, `is "${value}": it ${wrong}`, `pulumi config set ${key} ${fallback}`);
      return fallback;
    }
    return n;
  }

  /** A list setting (stored by Pulumi as a JSON array); duplicates are dropped. */
  stringList(key: keyof typeof CONFIG_DEFAULTS, isItem: (v: string) => boolean, itemHint: string): string[] {
    const value = this.raw(key);
    if (value === undefined) return [];
    const fix = `pulumi config set --path '${key}[0]' <value> (one line per item: ${key}[1], ${key}[2]…), each ${itemHint}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === "string")) {
      this.problem(key, `is "${value}", not a list of strings`, fix);
      return [];
    }
    const bad = parsed.filter((v) => !isItem(v));
    if (bad.length > 0) {
      this.problem(
        key,
        `has ${bad.map((v) => `"${v}"`).join(", ")}, which ${bad.length === 1 ? "is" : "are"} not ${itemHint}`,
        fix,
      );
      return [];
    }
    return [...new Set(parsed)];
  }

  /**
   * A credential: must be stored encrypted (`--secret`); comes back as a Pulumi secret. `check` judges the
   * value's shape; its message never includes the value.
   */
  secret(
    key: string,
    hint: string,
    check?: (v: string) => string | undefined,
  ): pulumi.Output<string> | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    let ok = true;
    if (this.source.isSecret(qualify(key)) === false) {
      this.problem(
        key,
        `is stored in plain text in Pulumi.${this.source.stack}.yaml`,
        `pulumi config set --secret ${key} <value> to encrypt it (${hint}); if that file was committed, rotate the credential`,
      );
      ok = false;
    }
    const wrong = check?.(value);
    if (wrong) {
      this.problem(key, wrong, `pulumi config set --secret ${key} <value> (${hint})`);
      ok = false;
    }
    return ok ? pulumi.secret(value) : undefined;
  }

  warnAboutUnknownKeys(): void {
    const prefix = `${PROJECT}:`;
    for (const full of this.source.keys()) {
      if (!full.startsWith(prefix)) continue;
      const key = full.slice(prefix.length);
      if (KNOWN_KEYS.includes(key)) continue;
      const near = KNOWN_KEYS.find((k) => k.toLowerCase() === key.toLowerCase());
      this.warn(
        `${full} is not a setting this stack reads${near ? ` (did you mean ${near}?)` : ""}; it has no effect.`,
      );
    }
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
