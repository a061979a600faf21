/**
 * One stack per environment: Clerk → API Gateway → forwarder Lambda → Tinybird.
 *
 * Order of creation (each step waits on the outputs it uses):
 *   Tinybird data source ─┐
 *   secret (empty) → forwarder → HTTP API (route, stage, permission) → Clerk endpoint → secret value
 * The secret's value needs Clerk's signing secret, which exists only once the endpoint is registered
 * with the API's URL — so it is stored last. Clerk may deliver in between: the forwarder then finds no
 * secret value, answers 503 and Svix retries (within seconds, then minutes), so nothing is lost.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClerkWebhookEndpoint } from "./components/clerk-webhook-endpoint";
import { ForwarderAlarms } from "./components/forwarder-alarms";
import { ForwarderSecret } from "./components/forwarder-secret";
import { TinybirdDataSource } from "./components/tinybird-data-source";
import { WebhookApi } from "./components/webhook-api";
import { WebhookForwarder } from "./components/webhook-forwarder";
import { readStackConfig } from "./config";

const config = readStackConfig();

const tinybird = new TinybirdDataSource("tinybird", {
  host: config.tinybird.host,
  adminToken: config.tinybird.adminToken,
  dataSourceName: config.tinybird.dataSourceName,
  workspaceKind: config.tinybird.workspaceKind,
  deleteDataOnDestroy: config.tinybird.deleteDataOnDestroy,
  allowDestructiveOperations: config.tinybird.allowDestructiveOperations,
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
  tinybirdHost: config.tinybird.host,
  dataSourceName: tinybird.dataSourceName,
  redactPaths: config.privacy.redactPaths,
  pseudonymizePersonalData: config.privacy.pseudonymizePersonalData,
  memoryMb: config.forwarder.memoryMb,
  reservedConcurrency: config.forwarder.reservedConcurrency,
  logRetentionDays: config.forwarder.logRetentionDays,
});

const webhook = new WebhookApi("webhook", {
  functionInvokeArn: forwarder.invokeArn,
  functionName: forwarder.functionName,
  throttleRateLimit: config.api.throttleRateLimit,
  throttleBurstLimit: config.api.throttleBurstLimit,
  logRetentionDays: config.forwarder.logRetentionDays,
});

const clerk = new ClerkWebhookEndpoint("clerk", {
  url: webhook.webhookUrl,
  secretKey: config.clerk.secretKey,
  signingSecret: config.clerk.webhookSigningSecret,
  eventTypes: config.clerk.eventTypes,
});
setSigningSecret(clerk.signingSecret);

const alarms = new ForwarderAlarms("alarms", {
  apiId: webhook.apiId,
  stageName: webhook.stageName,
  functionName: forwarder.functionName,
  logGroupName: forwarder.logGroupName,
  email: config.alarms.email,
  topicArn: config.alarms.topicArn,
});

export const webhookUrl = webhook.webhookUrl;
export const secretArn = credentials.arn;
export const functionName = forwarder.functionName;
export const forwarderLogGroup = forwarder.logGroupName;
export const dataSourceName = tinybird.dataSourceName;
export const clerkEndpointId = clerk.endpointId;
export const alarmTopicArns = alarms.topicArns;
/** For the analytics endpoints (Tinybird pipes); read with `pulumi stack output --show-secrets`. */
export const tinybirdReadToken = pulumi.secret(tinybird.readToken);
