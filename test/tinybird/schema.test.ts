import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventRow } from "../../lambda/event-row";
import {
  type ClickHouseHarness,
  evaluateJsonPath,
  openClickHouse,
  tinybirdRow,
} from "../../tinybird-model/clickhouse";
import { loadProject } from "../../tinybird-model/project";

const ROOT = resolve(__dirname, "../..");
const FIXTURES = join(ROOT, "test/fixtures/clerk-events");
const ds = loadProject(ROOT).dataSource.definition;

type ClerkEvent = Record<string, unknown> & { type: string; timestamp: number };

function fixture(type: string): ClerkEvent {
  return JSON.parse(readFileSync(join(FIXTURES, `${type}.json`), "utf8")) as ClerkEvent;
}

/** The NDJSON line the forwarder sends (lambda/event-row.ts), received at 08:00:05.250. */
function forwarded(event: ClerkEvent, eventId: string, overrides: Partial<ClerkEvent> = {}): string {
  return JSON.stringify(eventRow({ ...event, ...overrides }, eventId, 1716883205250));
}

/** The line a forwarder older than event_time sent: epoch-millisecond received_at, no event_time. */
function forwardedBefore(event: ClerkEvent, eventId: string): string {
  return JSON.stringify({ ...event, event_id: eventId, received_at: 1716883205250 });
}

interface Row {
  event_id: string;
  event_type: string;
  event_time: string;
  received_at: string;
  instance_id: string;
  object_id: string;
  user_id: string;
  organization_id: string;
  member_user_id: string;
  member_organization_id: string;
  status: string;
  record: string;
}

describe("clerk_events on real ClickHouse, ingested as Tinybird maps jsonpaths", () => {
  let ch: ClickHouseHarness;
  let rows: Map<string, Row>;
  const quarantined: string[] = [];

  beforeAll(() => {
    ch = openClickHouse();
    ch.createTable(ds);
    const lines = [
      forwarded(fixture("user.created"), "msg_user_created"),
      forwarded(fixture("user.created"), "msg_millis", { timestamp: 1716883200123 }),
      forwardedBefore({ ...fixture("user.created"), timestamp: 1716883200456 }, "msg_older_forwarder"),
      forwarded(fixture("user.deleted"), "msg_user_deleted"),
      forwarded(fixture("session.created"), "msg_session_created"),
      forwarded(fixture("session.revoked"), "msg_session_revoked", { timestamp: 1716969600999 }),
      forwarded(fixture("organizationMembership.created"), "msg_membership"),
      forwarded(fixture("organizationInvitation.accepted"), "msg_invitation"),
      forwarded(fixture("organization.created"), "msg_org"),
      forwarded(
        { ...fixture("session.ended"), instance_id: null } as unknown as ClerkEvent,
        "msg_null_instance",
      ),
    ];
    const result = ch.ingest(ds, lines);
    quarantined.push(...result.quarantined.map((q) => q.error));
    rows = new Map(ch.query<Row>("SELECT * FROM clerk_events").map((r) => [r.event_id, r]));
  });

  afterAll(() => ch?.close());

  it("creates the table with the datafile's sorting and partition keys", () => {
    const [table] = ch.query<{ sorting_key: string; partition_key: string; engine: string }>(
      "SELECT engine, sorting_key, partition_key FROM system.tables WHERE name = 'clerk_events'",
    );
    expect(table).toEqual({
      engine: "MergeTree",
      sorting_key: "event_type, event_time, event_id",
      partition_key: "toYYYYMM(event_time)",
    });
  });

  it("writes every line, its times from the forwarder's ISO-8601 event_time and received_at, to the millisecond", () => {
    expect(quarantined).toEqual([]);
    expect(rows.size).toBe(10);
    expect(rows.get("msg_user_created")!.event_time).toBe("2024-05-28 08:00:00.000");
    expect(rows.get("msg_millis")!.event_time).toBe("2024-05-28 08:00:00.123");
    expect(rows.get("msg_session_revoked")!.event_time).toBe("2024-05-29 08:00:00.999");
    expect(rows.get("msg_user_created")!.received_at).toBe("2024-05-28 08:00:05.250");
    expect(JSON.parse(rows.get("msg_millis")!.record)).toMatchObject({
      timestamp: 1716883200123,
      event_time: "2024-05-28T08:00:00.123Z",
      received_at: "2024-05-28T08:00:05.250Z",
    });
  });

  it("still reads a row from a forwarder older than event_time: Clerk's timestamp from the record", () => {
    expect(rows.get("msg_older_forwarder")).toMatchObject({
      event_time: "2024-05-28 08:00:00.456",
      received_at: "2024-05-28 08:00:05.250",
    });
  });

  it("types the ids the analytics group on, by event family", () => {
    const pick = (id: string) => {
      const { record: _record, event_time: _t, received_at: _r, ...typed } = rows.get(id)!;
      return typed;
    };
    expect(pick("msg_user_created")).toEqual({
      event_id: "msg_user_created",
      event_type: "user.created",
      instance_id: "ins_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
      object_id: "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
      user_id: "",
      organization_id: "",
      member_user_id: "",
      member_organization_id: "",
      status: "",
    });
    expect(pick("msg_user_deleted")).toMatchObject({
      event_type: "user.deleted",
      object_id: "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
    });
    expect(pick("msg_session_created")).toMatchObject({
      event_type: "session.created",
      object_id: "sess_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
      user_id: "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
      status: "active",
    });
    expect(pick("msg_session_revoked")).toMatchObject({ status: "revoked" });
    expect(pick("msg_membership")).toMatchObject({
      object_id: "orgmem_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
      member_user_id: "user_2h8op3Isl1QR7tKu5FGNfaLKEoU",
      member_organization_id: "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
      user_id: "",
    });
    expect(pick("msg_invitation")).toMatchObject({
      organization_id: "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
      user_id: "user_2h8op3Isl1QR7tKu5FGNfaLKEoU",
      status: "accepted",
    });
    expect(pick("msg_org")).toMatchObject({
      event_type: "organization.created",
      object_id: "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
    });
  });

  it("gives a null value the column's DEFAULT, as a missing one", () => {
    expect(rows.get("msg_null_instance")!.instance_id).toBe("");
  });

  it("keeps the whole event in record, readable with ClickHouse's JSON functions", () => {
    const [read] = ch.query<{ first: string; ip: string; id: string }>(
      "SELECT JSONExtractString(record, 'data', 'first_name') AS first, " +
        "JSONExtractString(record, 'event_attributes', 'http_request', 'client_ip') AS ip, " +
        "JSONExtractString(record, 'event_id') AS id FROM clerk_events WHERE event_id = 'msg_user_created'",
    );
    expect(read).toEqual({ first: "John", ip: "192.168.1.100", id: "msg_user_created" });
  });

  it("ingests every Clerk event type without quarantine", () => {
    const types = readdirSync(FIXTURES).map((f) => f.replace(/\.json$/, ""));
    expect(types).toHaveLength(45);
    const result = ch.ingest(
      ds,
      types.map((t, i) => forwarded(fixture(t), `msg_all_${i}`)),
      "clerk_events",
    );
    expect(result).toEqual({ inserted: 45, quarantined: [] });
    const [counted] = ch.query<{ types: number }>(
      "SELECT uniqExact(event_type) AS types FROM clerk_events WHERE startsWith(event_id, 'msg_all_')",
    );
    expect(counted!.types).toBe(45);
  });

  it("ingests a long history in bounded batches, every row once", () => {
    const base = fixture("session.created");
    const events = Array.from({ length: 5_001 }, (_, i) =>
      forwarded(base, `msg_bulk_${i}`, { timestamp: 1716883200000 + i * 60_000 }),
    );
    expect(ch.ingest(ds, events)).toEqual({ inserted: 5_001, quarantined: [] });
    const [bulk] = ch.query<{ rows: number; last: string }>(
      "SELECT count() AS rows, max(event_time) AS last FROM clerk_events WHERE startsWith(event_id, 'msg_bulk_')",
    );
    expect(bulk).toEqual({ rows: 5_001, last: "2024-05-31 19:20:00.000" });
  });

  it("quarantines a line missing a column that has no DEFAULT, as Tinybird does", () => {
    const { type: _type, ...untyped } = fixture("user.created");
    const result = ch.ingest(ds, [
      forwarded(untyped as ClerkEvent, "msg_untyped"),
      forwarded(fixture("user.created"), ""),
    ]);
    expect(result.inserted).toBe(1);
    expect(result.quarantined.map((q) => q.error)).toEqual([
      "column event_type: no value at $.type and no DEFAULT",
    ]);
  });
});

describe("tinybirdRow (the harness's ingestion mapping)", () => {
  const columns = [
    { name: "n", type: "Nullable(String)", jsonPath: "$.n" },
    { name: "d", type: "LowCardinality(String)", jsonPath: "$.d", defaultExpression: "'x'" },
    { name: "t", type: "DateTime64(3)", jsonPath: "$.t" },
    { name: "o", type: "String", jsonPath: "$.o" },
    { name: "whole", type: "String", jsonPath: "$" },
  ];

  it("maps nulls, defaults, epochs, objects and the whole line, leaving times for ClickHouse to read", () => {
    const line = '{"n":null,"t":1716883200,"o":{"a":[1,2]}}';
    expect(tinybirdRow(columns, line)).toEqual({
      row: { n: null, t: 1716883200, o: '{"a":[1,2]}', whole: line },
    });
    expect(tinybirdRow(columns, '{"t":1716883200001,"o":"s","d":"given"}')).toEqual({
      row: {
        n: null,
        d: "given",
        t: 1716883200001,
        o: "s",
        whole: '{"t":1716883200001,"o":"s","d":"given"}',
      },
    });
    expect(tinybirdRow(columns, "{not json")).toMatchObject({ error: expect.stringContaining("not JSON") });
  });

  it("evaluates the jsonpath forms datafiles use", () => {
    const doc = { a: { "b-c": [{ d: 1 }] } };
    expect(evaluateJsonPath(doc, "$")).toBe(doc);
    expect(evaluateJsonPath(doc, "$.a['b-c'][0].d")).toBe(1);
    expect(evaluateJsonPath(doc, "$.a.missing.deeper")).toBeUndefined();
    expect(() => evaluateJsonPath(doc, "$..a")).toThrow(/unsupported jsonpath/);
  });
});
