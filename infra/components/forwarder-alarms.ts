import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as sns from "@pulumi/aws/sns";
import * as pulumi from "@pulumi/pulumi";

export interface ForwarderAlarmsArgs {
  /** The HTTP API and stage Clerk posts to. */
  apiId: pulumi.Input<string>;
  stageName: pulumi.Input<string>;
  /** The forwarder function, and the log group it writes its one JSON line per request to. */
  functionName: pulumi.Input<string>;
  logGroupName: pulumi.Input<string>;
  /** Create an SNS topic with this address subscribed (it must confirm AWS's email first); undefined: none. */
  email: pulumi.Input<string> | undefined;
  /** An existing SNS topic (in the stack's region) to notify as well; undefined: none. */
  topicArn: pulumi.Input<string> | undefined;
  /** CloudWatch namespace of the metrics counted from the logs; default unique per project and stack. */
  metricNamespace?: pulumi.Input<string>;
  /**
   * Hours without a verified delivery after which the deliveries-stopped alarm fires (1–168; config
   * deliveryQuietHours, 24 by default); undefined or 0: no such alarm.
   */
  deliveryQuietHours?: number;
}

/**
 * CloudWatch metric filters over the forwarder's request line (`{"outcome": <kind>, "status": <http>, …}`,
 * written raw to stdout, so each log event is that JSON object).
 */
export const LOG_FILTERS = {
  /** Tinybird answered 401/403 to the append token: revoked, or a token of another workspace/region. */
  rejectedToken: '{ $.outcome = "tinybird_rejected_token" }',
  /** Tinybird answered 404: the token's workspace is on another region's host, or was deleted. */
  workspaceNotFound: '{ $.outcome = "tinybird_workspace_not_found" }',
  /** Tinybird answered 403 "Invalid token for DS autocreation": the data source is gone. */
  dataSourceMissing: '{ $.outcome = "tinybird_data_source_missing" }',
  /**
   * A verified delivery the forwarder answered 200 (Tinybird stored it): its one line per request,
   * `{"message": "webhook handled", …, "status": 200}` (lambda/forwarder.ts, lambda/outcome.ts).
   */
  verifiedDelivery: '{ ($.message = "webhook handled") && ($.status = 200) }',
  /** Every other 500: a failure Svix's retries cannot fix (setup or a bug). */
  otherUnretryable:
    '{ ($.status = 500) && ($.outcome != "tinybird_rejected_token") && ' +
    '($.outcome != "tinybird_workspace_not_found") && ($.outcome != "tinybird_data_source_missing") }',
};

/**
 * 4xx answers of the stage per 5 minutes, in each of three periods running, that mean a flood rather
 * than a stray forgery: throttled requests (429), sources outside the allowlist (403), forgeries (401).
 * Svix sends far below this; a flood above the stage's throttle makes its deliveries 429 too.
 */
export const SUSTAINED_4XX_PER_5_MINUTES = 50;

/** Where an alarm's metric comes from: counted from the forwarder's log, or AWS's own for the stage or function. */
type MetricSource =
  | { log: { filter: string; metricName: string; pattern: string } }
  | { api: string }
  | { lambda: string };

/** How CloudWatch judges a metric: the period in seconds, how many periods it looks at, how many must breach. */
interface Window {
  period: number;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
}

/** One alarm: its name after the component's (part of its URN: never rename one), what it says, what it watches. */
interface AlarmRow {
  id: string;
  description: string;
  metric: MetricSource;
  window: Window;
  /** Default 1: any occurrence. */
  threshold?: number;
  /** Alarm when the count falls below the threshold (a success count), rather than reaches it. */
  below?: boolean;
}

/**
 * A failure the forwarder cannot get past recurs only when Svix retries (after 5 s, 5 min, 30 min, 2 h…)
 * or Clerk sends a new event. Judged minute by minute, such an alarm would report OK a minute after each
 * failure while every delivery still fails; any failure in the last hour keeps it in ALARM instead. It
 * still fires within a minute of the first one.
 */
const FIRST_MINUTE_UNTIL_A_QUIET_HOUR: Window = { period: 60, evaluationPeriods: 60, datapointsToAlarm: 1 };
const FIVE_MINUTES: Window = { period: 300, evaluationPeriods: 1 };

/** Every alarm of the stack, in the order they are declared. */
export const ALARMS: readonly AlarmRow[] = [
  {
    // Pages within about a minute of the first rejected delivery, long before Svix gives up.
    id: "tinybird-rejects-token",
    description:
      "Tinybird rejected the forwarder's append token (revoked, or from another workspace or region): " +
      "no event is being stored, and Svix drops them after about a day of retries. Check the token in " +
      "Tinybird → Tokens and tinybirdHost, then run `pulumi up` to provision a new token. The alarm " +
      "returns to OK after an hour without a rejected delivery.",
    metric: {
      log: {
        filter: "rejected-token",
        metricName: "TinybirdRejectedToken",
        pattern: LOG_FILTERS.rejectedToken,
      },
    },
    window: FIRST_MINUTE_UNTIL_A_QUIET_HOUR,
  },
  {
    id: "tinybird-workspace-not-found",
    description:
      "Tinybird answered 404 to the forwarder: the append token's workspace is not on tinybirdHost (another " +
      "region) or was deleted. No event is being stored; Svix drops them after about a day. Set tinybirdHost " +
      "to the workspace's region host (Tinybird → Settings) and run `pulumi up`. OK after a quiet hour.",
    metric: {
      log: {
        filter: "workspace-not-found",
        metricName: "TinybirdWorkspaceNotFound",
        pattern: LOG_FILTERS.workspaceNotFound,
      },
    },
    window: FIRST_MINUTE_UNTIL_A_QUIET_HOUR,
  },
  {
    id: "tinybird-data-source-missing",
    description:
      'Tinybird answered 403 "Invalid token for DS autocreation": the data source the forwarder appends to ' +
      "no longer exists (deleted in Tinybird). No event is being stored. Run `pulumi up` to create it again; " +
      "Svix's retries then deliver what it still holds. OK after a quiet hour.",
    metric: {
      log: {
        filter: "data-source-missing",
        metricName: "TinybirdDataSourceMissing",
        pattern: LOG_FILTERS.dataSourceMissing,
      },
    },
    window: FIRST_MINUTE_UNTIL_A_QUIET_HOUR,
  },
  {
    id: "unretryable-failures",
    description:
      "The forwarder answered 500: a failure retrying cannot fix (outcome misconfigured, " +
      "tinybird_rejected_request or internal_error). Svix keeps retrying for about " +
      "a day. The forwarder's log line for the request names the cause. The alarm returns to OK after " +
      "an hour without such an answer.",
    metric: {
      log: {
        filter: "unretryable-failures",
        metricName: "UnretryableFailures",
        pattern: LOG_FILTERS.otherUnretryable,
      },
    },
    window: FIRST_MINUTE_UNTIL_A_QUIET_HOUR,
  },
  {
    id: "api-5xx",
    description:
      "The webhook endpoint answered 5xx in two of the last three 5-minute periods (Tinybird or " +
      "Secrets Manager failing, or the forwarder broken): Svix is retrying. The forwarder's log group " +
      "has one line per request with its outcome.",
    metric: { api: "5xx" },
    window: { period: 300, evaluationPeriods: 3, datapointsToAlarm: 2 },
  },
  {
    id: "api-4xx-sustained",
    description:
      `The webhook endpoint answered at least ${SUSTAINED_4XX_PER_5_MINUTES} 4xx in each of the last three ` +
      "5-minute periods: a flood (429 throttled, 403 outside the Svix allowlist, 401 forged). Above the " +
      "stage's throttle Svix's own deliveries are refused too and wait in its retries. Runbook: " +
      "docs/security.md, 'Under a flood'.",
    metric: { api: "4xx" },
    window: { period: 300, evaluationPeriods: 3, datapointsToAlarm: 3 },
    threshold: SUSTAINED_4XX_PER_5_MINUTES,
  },
  {
    id: "lambda-errors",
    description:
      "The forwarder crashed or timed out (Lambda Errors): a bug or a hung dependency. Svix retries " +
      "these deliveries; the function's log group has the error.",
    metric: { lambda: "Errors" },
    window: FIVE_MINUTES,
  },
  {
    id: "lambda-throttles",
    description:
      "Lambda throttled the forwarder (its reserved concurrency or the account's limit is reached): " +
      "Svix retries, but deliveries lag. Raise lambdaReservedConcurrency or the account quota.",
    metric: { lambda: "Throttles" },
    window: FIVE_MINUTES,
  },
];

/** What the deliveries-stopped alarm says: what to check, and the command that repairs the gap. */
export function deliveriesStoppedDescription(hours: number, stack: string): string {
  return (
    `No verified delivery reached the forwarder for ${hours} hours (counted from its log lines; no request at all ` +
    "counts too): Clerk's events are not arriving. Check in the Clerk dashboard → Webhooks that the endpoint is " +
    "enabled (Svix disables one after about 5 days of failures; `pulumi up` enables it again and says since when), " +
    "that its event filter still lists the events the stack wants, and Svix's status (status.svix.com). Then find " +
    `and deliver what was missed: npm run reconcile -- --stack ${stack} --since <last delivery> --repair ` +
    "(docs/operating.md). An instance this quiet by nature: raise deliveryQuietHours, or set it to 0."
  );
}

/**
 * Every other alarm counts failures, and no request makes no failure: this one counts successes, hour
 * by hour, and fires after `hours` hours without one. None when `hours` is 0 (deliveryQuietHours).
 */
export function deliveriesStopped(hours: number): AlarmRow[] {
  if (hours <= 0) return [];
  return [
    {
      id: "deliveries-stopped",
      description: deliveriesStoppedDescription(hours, pulumi.getStack()),
      metric: {
        log: {
          filter: "verified-deliveries",
          metricName: "VerifiedDeliveries",
          pattern: LOG_FILTERS.verifiedDelivery,
        },
      },
      window: { period: 3600, evaluationPeriods: hours, datapointsToAlarm: hours },
      below: true,
    },
  ];
}

/**
 * Svix retries a failed delivery for about a day and then drops it, telling nobody: these alarms are
 * how a person learns that events are not reaching Tinybird. Each notifies on ALARM and on OK.
 */
export class ForwarderAlarms extends pulumi.ComponentResource {
  /** The SNS topics the alarms notify (empty: the alarms only show in the CloudWatch console). */
  public readonly topicArns: pulumi.Output<string[]>;
  public readonly alarmNames: pulumi.Output<string[]>;

  constructor(name: string, args: ForwarderAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clerk-tinybird:monitoring:ForwarderAlarms", name, {}, opts);

    const topics: pulumi.Input<string>[] = [];
    if (args.email !== undefined) {
      // Unencrypted on purpose: CloudWatch cannot publish to a topic under the AWS-managed SNS key.
      const topic = new sns.Topic(`${name}-topic`, {}, { parent: this });
      new sns.TopicSubscription(
        `${name}-email`,
        { topic: topic.arn, protocol: "email", endpoint: args.email },
        { parent: this },
      );
      topics.push(topic.arn);
    }
    if (args.topicArn !== undefined) topics.push(args.topicArn);

    const namespace = args.metricNamespace ?? `ClerkTinybird/${pulumi.getProject()}/${pulumi.getStack()}`;
    const metricOf = (
      source: MetricSource,
    ): Pick<cloudwatch.MetricAlarmArgs, "namespace" | "metricName" | "dimensions"> => {
      if ("api" in source) {
        return {
          namespace: "AWS/ApiGateway",
          dimensions: { ApiId: args.apiId, Stage: args.stageName },
          metricName: source.api,
        };
      }
      if ("lambda" in source) {
        return {
          namespace: "AWS/Lambda",
          dimensions: { FunctionName: args.functionName },
          metricName: source.lambda,
        };
      }
      const { filter, metricName, pattern } = source.log;
      new cloudwatch.LogMetricFilter(
        `${name}-${filter}`,
        {
          logGroupName: args.logGroupName,
          pattern,
          metricTransformation: { name: metricName, namespace, value: "1" },
        },
        { parent: this },
      );
      return { namespace, metricName };
    };

    const alarms = [...ALARMS, ...deliveriesStopped(args.deliveryQuietHours ?? 0)].map(
      (row) =>
        new cloudwatch.MetricAlarm(
          `${name}-${row.id}`,
          {
            alarmDescription: row.description,
            ...metricOf(row.metric),
            ...row.window,
            statistic: "Sum",
            comparisonOperator: row.below ? "LessThanThreshold" : "GreaterThanOrEqualToThreshold",
            threshold: row.threshold ?? 1,
            // Deliveries are sparse and retries come in bursts: for a failure count, a period without data is
            // a period without failure; for a success count (`below`), it is the silence being watched for.
            treatMissingData: row.below ? "breaching" : "notBreaching",
            alarmActions: topics,
            okActions: topics,
          },
          { parent: this },
        ),
    );

    this.topicArns = pulumi.output(topics);
    this.alarmNames = pulumi.all(alarms.map((alarm) => alarm.name));
    this.registerOutputs({ topicArns: this.topicArns, alarmNames: this.alarmNames });
  }
}
