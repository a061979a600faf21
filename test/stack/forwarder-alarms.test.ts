import { beforeAll, describe, expect, it } from "vitest";
import {
  ForwarderAlarms,
  LOG_FILTERS,
  SUSTAINED_4XX_PER_5_MINUTES,
} from "../../infra/components/forwarder-alarms";
import { only, type RecordedResource, unwrap } from "../support/pulumi-mocks";
import { ACCOUNT, ALARM, alarmTarget, installStackMocks, METRIC_FILTER, ofType, REGION } from "./harness";

const { resources } = installStackMocks({ stack: "prod" });
const EXISTING_TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:on-call`;
const target = alarmTarget();

let silentTopics: string[];
let pagedTopics: string[];
beforeAll(async () => {
  const silent = new ForwarderAlarms("silent", target);
  const paged = new ForwarderAlarms("paged", {
    ...target,
    email: "ops@example.com",
    topicArn: EXISTING_TOPIC,
  });
  [silentTopics, pagedTopics] = await Promise.all([unwrap(silent.topicArns), unwrap(paged.topicArns)]);
  await Promise.all([unwrap(silent.alarmNames), unwrap(paged.alarmNames)]);
});

const alarm = (name: string): RecordedResource => only(resources, ALARM, name);

describe("ForwarderAlarms", () => {
  it("keeps every resource's name and type, so a deployed stack's URNs do not change", () => {
    const named = (prefix: string) =>
      resources
        .filter((r) => r.name === prefix || r.name.startsWith(`${prefix}-`))
        .map((r) => `${r.type} ${r.name}`)
        .sort();
    const alarms = [
      "tinybird-rejects-token",
      "tinybird-workspace-not-found",
      "tinybird-data-source-missing",
      "unretryable-failures",
      "api-5xx",
      "api-4xx-sustained",
      "lambda-errors",
      "lambda-throttles",
    ];
    const filters = ["rejected-token", "workspace-not-found", "data-source-missing", "unretryable-failures"];
    const expected = (prefix: string, topic: boolean) =>
      [
        `clerk-tinybird:monitoring:ForwarderAlarms ${prefix}`,
        ...alarms.map((a) => `${ALARM} ${prefix}-${a}`),
        ...filters.map((f) => `${METRIC_FILTER} ${prefix}-${f}`),
        ...(topic
          ? [
              `aws:sns/topic:Topic ${prefix}-topic`,
              `aws:sns/topicSubscription:TopicSubscription ${prefix}-email`,
            ]
          : []),
      ].sort();
    expect(named("paged")).toEqual(expected("paged", true));
    expect(named("silent")).toEqual(expected("silent", false));
  });

  it("pages within a minute of the first delivery Tinybird refuses for its token", () => {
    const filter = only(resources, METRIC_FILTER, "paged-rejected-token").inputs;
    expect(filter.logGroupName).toBe("forwarder-logs-1");
    expect(filter.pattern).toBe('{ $.outcome = "tinybird_rejected_token" }');
    const a = alarm("paged-tinybird-rejects-token").inputs;
    expect(a).toMatchObject({
      namespace: filter.metricTransformation.namespace,
      metricName: filter.metricTransformation.name,
      statistic: "Sum",
      period: 60,
      datapointsToAlarm: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
    });
    expect(a.alarmDescription).toMatch(/pulumi up/);
  });

  it("keeps the logged metrics of each stack apart", () => {
    const filter = only(resources, METRIC_FILTER, "paged-rejected-token").inputs;
    expect(filter.metricTransformation.namespace).toBe("ClerkTinybird/clerk-tinybird/prod");
  });

  it("reports OK only after an hour without a failing delivery, not in the quiet between Svix's retries", () => {
    // Svix retries after 5 s, 5 min, 30 min, 2 h…: a one-minute window would say OK a minute after each
    // failure while every delivery still fails.
    for (const name of [
      "paged-tinybird-rejects-token",
      "paged-tinybird-workspace-not-found",
      "paged-tinybird-data-source-missing",
      "paged-unretryable-failures",
    ]) {
      const a = alarm(name).inputs;
      expect(a, name).toMatchObject({ period: 60, datapointsToAlarm: 1, treatMissingData: "notBreaching" });
      expect(a.period * a.evaluationPeriods, name).toBeGreaterThanOrEqual(3600);
      // CloudWatch's limit on an alarm's evaluation range.
      expect(a.period * a.evaluationPeriods, name).toBeLessThanOrEqual(86400);
    }
  });

  it("pages on any other 500 the forwarder answers, which retries cannot fix", () => {
    expect(only(resources, METRIC_FILTER, "paged-unretryable-failures").inputs.pattern).toBe(
      LOG_FILTERS.otherUnretryable,
    );
    expect(LOG_FILTERS.otherUnretryable).toContain("$.status = 500");
    expect(alarm("paged-unretryable-failures").inputs).toMatchObject({ period: 60, threshold: 1 });
  });

  it.each([
    [
      "workspace-not-found",
      "tinybird-workspace-not-found",
      '{ $.outcome = "tinybird_workspace_not_found" }',
      /another\s+region|tinybirdHost/,
    ],
    [
      "data-source-missing",
      "tinybird-data-source-missing",
      '{ $.outcome = "tinybird_data_source_missing" }',
      /DS autocreation/,
    ],
  ])("pages on Tinybird's %s answer with its own fix", (filterName, alarmName, pattern, fix) => {
    const filter = only(resources, METRIC_FILTER, `paged-${filterName}`).inputs;
    expect(filter.pattern).toBe(pattern);
    const a = alarm(`paged-${alarmName}`).inputs;
    expect(a).toMatchObject({ metricName: filter.metricTransformation.name, threshold: 1, period: 60 });
    expect(a.alarmDescription).toMatch(fix);
    expect(a.alarmDescription).toMatch(/pulumi up/);
  });

  it("pages on 4xx sustained over 15 minutes (a flood, throttled or refused), pointing at its runbook", () => {
    const a = alarm("paged-api-4xx-sustained").inputs;
    expect(a).toMatchObject({
      namespace: "AWS/ApiGateway",
      metricName: "4xx",
      dimensions: { ApiId: "api-1", Stage: "$default" },
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      threshold: SUSTAINED_4XX_PER_5_MINUTES,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
    });
    expect(a.alarmDescription).toMatch(/docs\/security\.md/);
  });

  it("watches the stage's 5xx, and the function's errors and throttles", () => {
    expect(alarm("paged-api-5xx").inputs).toMatchObject({
      namespace: "AWS/ApiGateway",
      metricName: "5xx",
      dimensions: { ApiId: "api-1", Stage: "$default" },
      period: 300,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    });
    for (const [name, metric] of [
      ["paged-lambda-errors", "Errors"],
      ["paged-lambda-throttles", "Throttles"],
    ]) {
      expect(alarm(name!).inputs).toMatchObject({
        namespace: "AWS/Lambda",
        metricName: metric,
        dimensions: { FunctionName: "forwarder-fn-1" },
        threshold: 1,
      });
    }
  });

  it("notifies an emailed topic and an existing topic, on ALARM and on OK", () => {
    const topic = only(resources, "aws:sns/topic:Topic", "paged-topic");
    expect(
      only(resources, "aws:sns/topicSubscription:TopicSubscription", "paged-email").inputs,
    ).toMatchObject({
      protocol: "email",
      endpoint: "ops@example.com",
      topic: `arn:aws:sns:${REGION}:${ACCOUNT}:${topic.name}`,
    });
    expect(pagedTopics).toEqual([`arn:aws:sns:${REGION}:${ACCOUNT}:paged-topic`, EXISTING_TOPIC]);
    const paged = ofType(resources, ALARM).filter((a) => a.name.startsWith("paged-"));
    expect(paged).toHaveLength(8);
    for (const a of paged) {
      expect(a.inputs.alarmActions).toEqual(pagedTopics);
      expect(a.inputs.okActions).toEqual(pagedTopics);
    }
  });

  it("still raises the alarms, in the console only, when no target is configured", () => {
    expect(silentTopics).toEqual([]);
    expect(ofType(resources, "aws:sns/topic:Topic").map((t) => t.name)).toEqual(["paged-topic"]);
    const silent = ofType(resources, ALARM).filter((a) => a.name.startsWith("silent-"));
    expect(silent).toHaveLength(8);
    for (const a of silent) expect(a.inputs.alarmActions).toEqual([]);
  });
});
