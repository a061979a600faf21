import * as ssm from "@pulumi/aws/ssm";
import { beforeAll, describe, expect, it } from "vitest";
import { ACCESS_LOG_FORMAT, WebhookApi } from "../../infra/components/webhook-api";
import { only, unwrap } from "../support/pulumi-mocks";
import {
  API_ENDPOINT,
  dependencyNames,
  EXECUTION_ARN,
  installStackMocks,
  registrationIndex,
} from "./harness";

const { resources } = installStackMocks();
const INVOKE_ARN =
  "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:fn/invocations";

let api: WebhookApi;
let webhookUrl: string;
beforeAll(async () => {
  api = new WebhookApi("webhook", {
    functionInvokeArn: INVOKE_ARN,
    functionName: "forwarder-fn-1234",
    throttleRateLimit: 25,
    throttleBurstLimit: 40,
    logRetentionDays: 14,
  });
  // Stands in for Clerk's registration: anything handed the URL.
  const consumer = new ssm.Parameter("consumer", { type: "String", value: api.webhookUrl });
  webhookUrl = await unwrap(api.webhookUrl);
  await unwrap(consumer.id);
});

describe("WebhookApi", () => {
  it("is an HTTP API with one route, POST /webhooks/clerk, proxied to the forwarder with payload 2.0", () => {
    expect(only(resources, "aws:apigatewayv2/api:Api").inputs.protocolType).toBe("HTTP");
    const route = only(resources, "aws:apigatewayv2/route:Route");
    expect(route.inputs.routeKey).toBe("POST /webhooks/clerk");
    expect(route.inputs.target).toBe("integrations/webhook-integration-id");
    expect(only(resources, "aws:apigatewayv2/integration:Integration").inputs).toMatchObject({
      integrationType: "AWS_PROXY",
      integrationUri: INVOKE_ARN,
      payloadFormatVersion: "2.0",
    });
  });

  it("serves a $default stage that deploys itself and throttles every route", () => {
    const stage = only(resources, "aws:apigatewayv2/stage:Stage").inputs;
    expect(stage.name).toBe("$default");
    expect(stage.autoDeploy).toBe(true);
    expect(stage.defaultRouteSettings).toEqual({ throttlingRateLimit: 25, throttlingBurstLimit: 40 });
  });

  it("writes structured access logs without bodies or headers to a log group with a retention", () => {
    const stage = only(resources, "aws:apigatewayv2/stage:Stage").inputs;
    const logs = only(resources, "aws:cloudwatch/logGroup:LogGroup", "webhook-access-logs");
    expect(logs.inputs.retentionInDays).toBe(14);
    expect(stage.accessLogSettings.destinationArn).toContain("webhook-access-logs");
    const format = JSON.parse(ACCESS_LOG_FORMAT) as Record<string, string>;
    expect(stage.accessLogSettings.format).toBe(ACCESS_LOG_FORMAT);
    expect(format.status).toBe("$context.status");
    for (const variable of Object.values(format)) expect(variable).not.toMatch(/body|header|authorizer/i);
  });

  it("lets API Gateway invoke the forwarder only through this API", () => {
    const permission = only(resources, "aws:lambda/permission:Permission").inputs;
    expect(permission).toMatchObject({
      action: "lambda:InvokeFunction",
      function: "forwarder-fn-1234",
      principal: "apigateway.amazonaws.com",
      sourceArn: `${EXECUTION_ARN}/*/POST/webhooks/clerk`,
    });
  });

  it("hands out the webhook URL only once route, stage and permission exist", async () => {
    expect(webhookUrl).toBe(`${API_ENDPOINT}/webhooks/clerk`);
    // What the engine orders Clerk's registration by (registration order alone cannot tell: in the mocks
    // every input is known at once).
    expect(await dependencyNames(api.webhookUrl)).toEqual(
      expect.arrayContaining(["webhook-route", "webhook-stage", "webhook-invoke"]),
    );
    const consumer = registrationIndex(resources, "aws:ssm/parameter:Parameter", "consumer");
    expect(only(resources, "aws:ssm/parameter:Parameter").inputs.value).toBe(webhookUrl);
    for (const [type, name] of [
      ["aws:apigatewayv2/route:Route", "webhook-route"],
      ["aws:apigatewayv2/stage:Stage", "webhook-stage"],
      ["aws:lambda/permission:Permission", "webhook-invoke"],
    ] as const) {
      expect(registrationIndex(resources, type, name)).toBeLessThan(consumer);
    }
  });
});
