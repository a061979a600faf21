import * as apigatewayv2 from "@pulumi/aws/apigatewayv2";
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as lambda from "@pulumi/aws/lambda";
import * as pulumi from "@pulumi/pulumi";
import { WEBHOOK_PATH } from "../../lambda/request";

export interface WebhookApiArgs {
  /** The forwarder's `invokeArn`. */
  functionInvokeArn: pulumi.Input<string>;
  /** The forwarder's name, for the invoke permission. */
  functionName: pulumi.Input<string>;
  /** Steady-state requests per second before API Gateway answers 429 (Svix retries those). */
  throttleRateLimit: pulumi.Input<number>;
  /** Requests allowed in a burst above the rate. */
  throttleBurstLimit: pulumi.Input<number>;
  /** Retention of the access log group. */
  logRetentionDays: pulumi.Input<number>;
}

/**
 * One access-log line per request: who called, what the forwarder answered, how long it took.
 * Never a body or header, so no payload and no signature reaches these logs.
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  requestTime: "$context.requestTimeEpoch",
  sourceIp: "$context.identity.sourceIp",
  userAgent: "$context.identity.userAgent",
  routeKey: "$context.routeKey",
  status: "$context.status",
  responseLength: "$context.responseLength",
  integrationStatus: "$context.integrationStatus",
  integrationLatency: "$context.integrationLatency",
  error: "$context.error.message",
  integrationError: "$context.integrationErrorMessage",
});

/** The public HTTPS endpoint Clerk (Svix) posts to: one route, straight to the forwarder. */
export class WebhookApi extends pulumi.ComponentResource {
  /** `https://<id>.execute-api.<region>.amazonaws.com/webhooks/clerk`, once the route can be invoked. */
  public readonly webhookUrl: pulumi.Output<string>;
  public readonly apiId: pulumi.Output<string>;
  /** The stage whose metrics the alarms watch (`$default`). */
  public readonly stageName: pulumi.Output<string>;

  constructor(name: string, args: WebhookApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clerk-tinybird:api:WebhookApi", name, {}, opts);

    const api = new apigatewayv2.Api(
      `${name}-api`,
      { protocolType: "HTTP", description: "Receives Clerk webhooks for Tinybird" },
      { parent: this },
    );

    const integration = new apigatewayv2.Integration(
      `${name}-integration`,
      {
        apiId: api.id,
        integrationType: "AWS_PROXY",
        integrationUri: args.functionInvokeArn,
        integrationMethod: "POST",
        // The event shape lambda/ is written against (APIGatewayProxyEventV2).
        payloadFormatVersion: "2.0",
      },
      { parent: this },
    );

    const route = new apigatewayv2.Route(
      `${name}-route`,
      {
        apiId: api.id,
        routeKey: `POST ${WEBHOOK_PATH}`,
        target: pulumi.interpolate`integrations/${integration.id}`,
      },
      { parent: this },
    );

    const accessLogs = new cloudwatch.LogGroup(
      `${name}-access-logs`,
      { retentionInDays: args.logRetentionDays },
      { parent: this },
    );

    const stage = new apigatewayv2.Stage(
      `${name}-stage`,
      {
        apiId: api.id,
        name: "$default",
        autoDeploy: true,
        defaultRouteSettings: {
          throttlingRateLimit: args.throttleRateLimit,
          throttlingBurstLimit: args.throttleBurstLimit,
        },
        accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
      },
      { parent: this },
    );

    // This API's webhook route only (any stage: there is one): no other API or route may invoke it.
    const permission = new lambda.Permission(
      `${name}-invoke`,
      {
        action: "lambda:InvokeFunction",
        function: args.functionName,
        principal: "apigateway.amazonaws.com",
        sourceArn: pulumi.interpolate`${api.executionArn}/*/POST${WEBHOOK_PATH}`,
      },
      { parent: this },
    );

    // The URL is handed out (to Clerk) only once the route, stage and permission exist, so the
    // first delivery finds a working endpoint.
    this.webhookUrl = pulumi
      .all([api.apiEndpoint, route.id, stage.id, permission.id])
      .apply(([endpoint]) => `${endpoint}${WEBHOOK_PATH}`);
    this.apiId = api.id;
    this.stageName = stage.name;
    this.registerOutputs({ webhookUrl: this.webhookUrl, apiId: this.apiId });
  }
}
