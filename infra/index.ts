/**
 * One stack per environment: Clerk → API Gateway → forwarder Lambda → Tinybird.
 *
 * Each resource waits for the outputs it uses, which gives this order:
 *   1. the Tinybird project (data sources, pipes, tokens) and the secret, still without a value;
 *   2. the forwarder, configured with the data source's name and the secret's ARN;
 *   3. the HTTP API: route, stage and invoke permission; its webhook URL resolves only after all three;
 *   4. the Clerk endpoint, registered at that URL (it yields the signing secret);
 *   5. the secret's value: the append token and the signing secret.
 * The value cannot come earlier: the signing secret exists only once Clerk has the URL. If Clerk
 * delivers between 4 and 5 (seconds, on the first deployment only), the forwarder finds no value and
 * answers 5xx; Svix retries (after seconds, then minutes) until it succeeds, so nothing is lost.
 */
import * as pulumi from "@pulumi/pulumi";
import { svixSourceIps } from "../lambda/svix-source-ips";
import { ClerkWebhookEndpoint } from "./components/clerk-webhook-endpoint";
import { ForwarderAlarms } from "./components/forwarder-alarms";
import { ForwarderSecret } from "./components/forwarder-secret";
import { TinybirdProject } from "./components/tinybird-project";
import { WebhookApi } from "./components/webhook-api";
import { WebhookForwarder } from "./components/webhook-forwarder";
import { forwarderSettings, readStackConfig } from "./config";

const config = readStackConfig();

const tinybird = new TinybirdProject("tinybird", {
  host: config.tinybirdHost,
  adminToken: config.tinybirdAdminToken,
  dataSourceName: config.tinybirdDataSource,
  deploymentWaitMinutes: config.tinybirdDeploymentWaitMinutes,
  deleteDataOnDestroy: config.tinybirdDeleteDataOnDestroy,
  allowDestructiveOperations: config.tinybirdAllowDestructiveOperations,
});

// Filled in once Clerk has registered the endpoint (see the order above).
const [signingSecret, setSigningSecret] = pulumi.deferredOutput<string>();

const credentials = new ForwarderSecret("credentials", {
  tinybirdToken: tinybird.appendToken,
  signingSecret,
  kmsKeyArn: config.kmsKeyArn,
});

const forwarder = new WebhookForwarder("forwarder", {
  secretArn: credentials.arn,
  kmsKeyArn: config.kmsKeyArn,
  settings: {
    ...forwarderSettings(config),
    // From the Tinybird project: the forwarder waits until the data source exists.
    dataSource: tinybird.dataSourceName,
    allowSource: svixSourceIps(config.svixSourceIpAllowlist),
  },
  memoryMb: config.lambdaMemoryMb,
  reservedConcurrency: config.lambdaReservedConcurrency,
  logRetentionDays: config.logRetentionDays,
});

const webhook = new WebhookApi("webhook", {
  functionInvokeArn: forwarder.invokeArn,
  functionName: forwarder.functionName,
  throttleRateLimit: config.apiThrottleRateLimit,
  throttleBurstLimit: config.apiThrottleBurstLimit,
  logRetentionDays: config.logRetentionDays,
});

const clerk = new ClerkWebhookEndpoint("clerk", {
  url: webhook.webhookUrl,
  secretKey: config.clerkSecretKey,
  signingSecret: config.clerkWebhookSigningSecret,
  eventTypes: config.clerkEventTypes,
});
setSigningSecret(clerk.signingSecret);

new ForwarderAlarms("alarms", {
  apiId: webhook.apiId,
  stageName: webhook.stageName,
  functionName: forwarder.functionName,
  logGroupName: forwarder.logGroupName,
  email: config.alarmEmail,
  topicArn: config.alarmTopicArn,
  deliveryQuietHours: config.deliveryQuietHours,
});

// The outputs, as stack-access/outputs.ts lists them for their readers (backfill, recover and dashboard
// --stack, the commands in docs/): its test holds these exports to that list.
export const webhookUrl = webhook.webhookUrl;
export const forwarderLogGroup = forwarder.logGroupName;
export const dataSourceName = tinybird.dataSourceName;
export const clerkEndpointId = clerk.endpointId;
/** For signing test deliveries (`npm run send`); read with `pulumi stack output --show-secrets`. */
export const webhookSigningSecret = pulumi.secret(clerk.signingSecret);
/** For the analytics endpoints (Tinybird pipes); read with `pulumi stack output --show-secrets`. */
export const tinybirdReadToken = pulumi.secret(tinybird.readToken);
/**
 * What `npm run backfill -- --stack <name>` needs to write rows exactly as the deployed forwarder
 * does: its environment (where, and redacted how), the append token and the pseudonymisation key.
 */
export const forwarderEnvironment = forwarder.environment;
export const tinybirdAppendToken = pulumi.secret(tinybird.appendToken);
export const pseudonymizationKey = credentials.pseudonymizationKey;
/** The same settings by name, for people (and for the backfill on a stack deployed before the above). */
export const tinybirdHost = config.tinybirdHost;
export const redactPaths = config.redactPaths;
export const pseudonymizePersonalData = config.pseudonymizePersonalData;
export const redactPrivateMetadata = config.redactPrivateMetadata;
