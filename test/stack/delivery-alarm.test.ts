import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ForwarderAlarms, LOG_FILTERS } from "../../infra/components/forwarder-alarms";
import { parseStackConfig } from "../../infra/config";
import { type Harness, startHarness } from "../lambda/harness";
import { clerkFixture, signedEvent, tinybirdStored } from "../support/forwarder-stubs";
import { matchesFilter } from "../support/metric-filter";
import { only, unwrap } from "../support/pulumi-mocks";
import {
  ACCOUNT,
  ALARM,
  alarmTarget,
  cliDefaults,
  installStackMocks,
  METRIC_FILTER,
  ofType,
  REGION,
  VALID_CONFIG,
} from "./harness";

const { resources } = installStackMocks({ stack: "prod" });
const target = alarmTarget(`arn:aws:sns:${REGION}:${ACCOUNT}:on-call`);

let h: Harness;
beforeAll(async () => {
  const watched = new ForwarderAlarms("watched", { ...target, deliveryQuietHours: 24 });
  const off = new ForwarderAlarms("off", { ...target, deliveryQuietHours: 0 });
  await Promise.all([unwrap(watched.alarmNames), unwrap(off.alarmNames)]);
  h = await startHarness();
});
afterAll(() => h?.close());

describe("the deliveries-stopped alarm", () => {
  it("fires after deliveryQuietHours hours without a verified delivery in the forwarder's own logs, silence included", () => {
    const filter = only(resources, METRIC_FILTER, "watched-verified-deliveries").inputs;
    expect(filter).toMatchObject({ logGroupName: "forwarder-logs-1", pattern: LOG_FILTERS.verifiedDelivery });
    expect(filter.metricTransformation).toMatchObject({ name: "VerifiedDeliveries", value: "1" });
    // No default value: an hour without a delivery is missing data, which the alarm treats as breaching.
    expect(filter.metricTransformation.defaultValue).toBeUndefined();
    expect(only(resources, ALARM, "watched-deliveries-stopped").inputs).toMatchObject({
      namespace: filter.metricTransformation.namespace,
      metricName: "VerifiedDeliveries",
      statistic: "Sum",
      period: 3600,
      evaluationPeriods: 24,
      datapointsToAlarm: 24,
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      treatMissingData: "breaching",
      alarmActions: [target.topicArn],
      okActions: [target.topicArn],
    });
  });

  it("says what to check (endpoint disabled, event filter, Svix's status) and the reconcile command", () => {
    const description = only(resources, ALARM, "watched-deliveries-stopped").inputs
      .alarmDescription as string;
    expect(description).toMatch(/endpoint is enabled/);
    expect(description).toMatch(/event filter/);
    expect(description).toMatch(/status\.svix\.com/);
    expect(description).toContain("npm run reconcile -- --stack prod --since <last delivery> --repair");
    expect(description.length).toBeLessThanOrEqual(1024); // CloudWatch's limit
  });

  it("is not created when deliveryQuietHours is 0", () => {
    expect(ofType(resources, ALARM).filter((a) => a.name.startsWith("off-deliveries"))).toEqual([]);
    expect(ofType(resources, METRIC_FILTER).filter((f) => f.name.startsWith("off-verified"))).toEqual([]);
  });

  it("is watched for 24 hours by default, and refuses more than CloudWatch's 7 days", () => {
    const read = (extra: Record<string, string>) => {
      const values: Record<string, string> = {};
      for (const [k, v] of Object.entries({ ...cliDefaults(), ...VALID_CONFIG, ...extra }))
        values[k.includes(":") ? k : `clerk-tinybird:${k}`] = v;
      return () =>
        parseStackConfig({
          stack: "prod",
          keys: () => Object.keys(values),
          get: (key) => values[key],
          isSecret: () => true,
        });
    };
    expect(read({})().deliveryQuietHours).toBe(24);
    expect(read({ deliveryQuietHours: "0" })().deliveryQuietHours).toBeUndefined();
    expect(read({ deliveryQuietHours: "169" })).toThrow(
      /deliveryQuietHours is "169": it must be 0 \(no alarm\) or between 1 and 168 hours/,
    );
  });
});

describe("its metric filter", () => {
  it("counts the line the real forwarder writes for a stored delivery, and no other", async () => {
    h.tinybird.handle(() => tinybirdStored());
    expect((await h.handler(signedEvent(clerkFixture("user.created")))).statusCode).toBe(200);
    h.tinybird.handle(() => ({ status: 503, body: "busy" }));
    expect((await h.handler(signedEvent(clerkFixture("session.created")))).statusCode).toBe(503);
    expect(
      (await h.handler(signedEvent(clerkFixture("user.created"), { secret: "whsec_AAAA" }))).statusCode,
    ).toBe(401);

    const [stored, failed, forged] = h.logText;
    expect(matchesFilter(LOG_FILTERS.verifiedDelivery, stored!)).toBe(true);
    expect(matchesFilter(LOG_FILTERS.verifiedDelivery, failed!)).toBe(false);
    expect(matchesFilter(LOG_FILTERS.verifiedDelivery, forged!)).toBe(false);
    // The failure alarms' filters read the same lines: the 503 is no unretryable failure, the success none.
    expect(matchesFilter(LOG_FILTERS.otherUnretryable, stored!)).toBe(false);
    expect(matchesFilter(LOG_FILTERS.otherUnretryable, failed!)).toBe(false);
  });
});
