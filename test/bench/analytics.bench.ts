/**
 * `npm run bench -- analytics [--events 10000000]`: the analytics endpoints at scale. Builds a
 * synthetic two-year history shaped like the fixtures INSIDE ClickHouse (chDB) with SQL (records
 * ~2.5 KB, sessions ~87 % of rows, ~6 % duplicate deliveries), inserts it into the landing data
 * source in blocks in arrival order so the materialized views fire as on ingest, then runs each
 * endpoint for its default range and for a 1-year range: today's raw-scan pipes
 * (test/bench/raw-pipes) and the rollup ones side by side, median wall time, rows and bytes read,
 * and whether both give the same rows. Last line: one JSON object with the figures.
 * 1M events by default (BENCH_ANALYTICS_EVENTS or --events to change).
 *
 * BENCH_ANALYTICS_DIR=/some/folder keeps the chDB data there: a later run with the same number of
 * events reuses the stored deliveries (skipping the build and the ingest, ~17 min at 10M) and
 * rebuilds the rollups and views the current datafiles changed (tinybird-model/chdb-project.ts),
 * filling them from the stored rows partition by partition as Tinybird's populate does. Either way the rollups are merged (OPTIMIZE … FINAL,
 * as Tinybird's background merges leave them) before anything is measured. BENCH_ANALYTICS_RAW=0
 * skips the raw-scan pipes (minutes each at 10M) and prints the rollup figures only.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { Session } from "chdb";
import {
  type LocalTinybird,
  loadTinybirdProject,
  pipeSql,
  syncProject,
} from "../../tinybird-model/chdb-project";
import { type PipeDefinition, parsePipe } from "../../tinybird-model/pipe-file";
import { loadProject } from "../../tinybird-model/project";
import { runOnSession } from "../../tinybird-model/sql-steps";
import { renderPipeSql } from "../../tinybird-model/template";

const ROOT = resolve(__dirname, "../..");
const NOW = new Date(Date.UTC(2025, 2, 31, 15, 0, 0));
const DAY_MS = 86_400_000;
const YEAR = { start_date: "2024-04-01", end_date: "2025-03-31" };
/** Beyond each endpoint's default and 1-year range, what the dashboard asks (issue 23). */
const DASHBOARD_CASES: [string, string, Record<string, string>][] = [
  ["retention", "1 year by month", { ...YEAR, granularity: "month" }],
  ["users", "100 by last sign-in", { sort: "last_sign_in_at", order: "desc", limit: "100" }],
  ["users", "100 searched", { search: "a1b", limit: "100" }],
  [
    "users",
    "behind a retention cell",
    {
      created_from: "2024-10-01",
      created_to: "2024-10-31",
      active_from: "2025-01-01",
      active_to: "2025-01-31",
    },
  ],
  ["users", "churned in a month", { churned_from: "2025-02-01", churned_to: "2025-02-28", limit: "100" }],
];
/** Rows per INSERT into the landing data source: one block for the views, as a busy ingestion flushes. */
const BLOCK_ROWS = 250_000;
const RUNS = 3;
type Ranges = readonly (readonly [string, Record<string, string>])[];
const DATE_RANGES: Ranges = [
  ["default", {}],
  ["1 year", YEAR],
];
/** Endpoints whose parameters are not dates: the ranges reconcile reads (a day, 90 days, one page each). */
const RANGES: Record<string, Ranges> = {
  delivered_events: [
    ["1 day", { start_time: "2025-03-30 15:00:00", end_time: "2025-03-31 15:00:00", limit: "100000" }],
    ["90 days", { start_time: "2024-12-31 15:00:00", end_time: "2025-03-31 15:00:00", limit: "100000" }],
  ],
};
/** What a stored history (BENCH_ANALYTICS_DIR) holds: one built before another shape is built again. */
const HISTORY_SHAPE = "auth-and-billing-1";

function eventsWanted(): number {
  const i = process.argv.indexOf("--events");
  const raw = i >= 0 ? process.argv[i + 1] : process.env.BENCH_ANALYTICS_EVENTS;
  const n = Number(String(raw ?? "1000000").replace(/_/g, ""));
  if (!Number.isFinite(n) || n < 10_000) throw new Error(`--events must be a number >= 10000, got ${raw}`);
  return n;
}

interface Measured {
  ms: number;
  /** Median CPU time of this process (chDB runs in it): less noisy than wall time on a shared machine. */
  cpuMs: number;
  rowsRead: number;
  bytesRead: number;
  rows: unknown[];
}

function measure(local: LocalTinybird, sql: string, runs: number): Measured | null {
  const times: number[] = [];
  const cpu: number[] = [];
  let last: { data: unknown[]; statistics: { rows_read: number; bytes_read: number } } | undefined;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    let out = "";
    try {
      out = local.session.query(sql, "JSON");
      last = JSON.parse(out);
    } catch (error) {
      // An exception raised mid-stream ends the JSON output with ClickHouse's message: show that, not
      // the parser's complaint.
      const cause = out ? out.slice(-400).replace(/\s+/g, " ") : String(error).split("\n")[0]!;
      process.stdout.write(`    failed: ${cause.slice(0, 400)}\n`);
      return null;
    }
    times.push(performance.now() - started);
    const used = process.cpuUsage(cpuStarted);
    cpu.push((used.user + used.system) / 1000);
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return {
    ms: Math.round(times[Math.floor(times.length / 2)]!),
    cpuMs: Math.round(cpu[Math.floor(cpu.length / 2)]!),
    rowsRead: last!.statistics.rows_read,
    bytesRead: last!.statistics.bytes_read,
    rows: last!.data,
  };
}

/** Builds the history in SQL: users, their events, then every delivery (retries included). */
function buildHistory(local: LocalTinybird, events: number): number {
  const q = (sql: string) => local.session.query(sql);
  const now = NOW.getTime();
  const NOW_SQL = `toInt64(${now})`;
  const start = now - 730 * DAY_MS;
  // h(k): a deterministic uniform number in [0, 1) per row and purpose.
  const h = (row: string, k: number) => `(cityHash64(${row}, ${k}) % 1000000) / 1000000`;
  q("DROP TABLE IF EXISTS bench_users");
  q("DROP TABLE IF EXISTS bench_events");
  const users = Math.round(events / 27);
  q(`CREATE TABLE bench_users ENGINE = MergeTree ORDER BY u AS
    SELECT
      number AS u,
      concat('user_', lower(hex(cityHash64(number, 1)))) AS user_id,
      toInt64(${start} + ${now - start} * sqrt(${h("number", 2)})) AS created_ms,
      ${h("number", 3)} < 0.33 AS loyal,
      if(loyal, ${NOW_SQL}, least(${NOW_SQL}, created_ms + toInt64(-log(1 - ${h("number", 4)}) * 55 * ${DAY_MS}))) AS until_ms,
      NOT loyal AND until_ms < ${NOW_SQL} AND ${h("number", 5)} < 0.2 AS deleted,
      until_ms + toInt64(${h("number", 6)} * 25 * ${DAY_MS}) + 3600000 AS deleted_ms,
      arrayElement(['desktop', 'desktop', 'iPhone', 'Android', 'desktop', 'iPad'], 1 + cityHash64(number, 7) % 6) AS device,
      arrayElement(['email_code', 'email_code', 'from_oauth_google', 'email_link', 'from_oauth_github', 'ticket'], 1 + cityHash64(number, 8) % 6) AS strategy,
      ${h("number", 9)} < 0.2 AS has_phone,
      toUInt32(least(60, greatest(1, (least(until_ms, if(deleted, deleted_ms, ${NOW_SQL})) - created_ms) / ${DAY_MS} * (0.3 + 1.3 * ${h("number", 10)}) / 7))) AS sessions
    FROM numbers(${users})`);
  const S = "toString(s)";
  q(`CREATE TABLE bench_events (
      event_id String, event_type LowCardinality(String), ts Int64, user_id String, object_id String,
      org_id String, status LowCardinality(String), device LowCardinality(String),
      strategy LowCardinality(String), has_phone UInt8, locked UInt8, two_factor UInt8, member String DEFAULT '',
      payload String DEFAULT ''
    ) ENGINE = MergeTree ORDER BY ts`);
  const COLUMNS =
    "event_id, event_type, ts, user_id, object_id, org_id, status, device, strategy, has_phone, locked, two_factor";
  const insert = (select: string, extra = "") =>
    q(`INSERT INTO bench_events (${COLUMNS}${extra ? `, ${extra}` : ""}) ${select}`);
  // Users: created, 1-3 profile updates for a third (some lockouts, some 2FA), deleted.
  insert(
    `SELECT concat('ev_uc_', user_id), 'user.created', created_ms, '', user_id, '', '', '', strategy, has_phone, 0, 0 FROM bench_users`,
  );
  insert(`SELECT concat('ev_uu_', user_id, '_', toString(i)), 'user.updated',
      created_ms + toInt64((i + 1) * ${h("u", 20)} * 20 * ${DAY_MS}), '', user_id, '', '', '', strategy, has_phone,
      ${h("u * 7 + i", 21)} < 0.12, ${h("u * 7 + i", 22)} < 0.25
    FROM bench_users ARRAY JOIN range(toUInt32(1 + cityHash64(u, 23) % 3)) AS i
    WHERE ${h("u", 24)} < 0.35 AND created_ms + toInt64((i + 1) * ${h("u", 20)} * 20 * ${DAY_MS}) < least(${NOW_SQL}, if(deleted, deleted_ms, ${NOW_SQL}))`);
  insert(
    `SELECT concat('ev_ud_', user_id), 'user.deleted', deleted_ms, '', user_id, '', '', '', '', 0, 0, 0 FROM bench_users WHERE deleted AND deleted_ms < ${NOW_SQL}`,
  );
  // Sessions: created, sometimes pending first, then ended / removed / revoked or left open; e-mails and SMS.
  const session = `(SELECT u, user_id, device, strategy, has_phone, i,
        concat('sess_', lower(hex(cityHash64(u, i, 30)))) AS s,
        created_ms + 2000 + toInt64((i + ${h("u * 101 + i", 31)}) * (least(until_ms, if(deleted, deleted_ms, ${NOW_SQL})) - created_ms) / sessions) AS at,
        ${h("u * 101 + i", 32)} AS r
      FROM bench_users ARRAY JOIN range(sessions) AS i)`;
  insert(`SELECT concat('ev_sc_', ${S}), 'session.created', at, user_id, s, '', 'active',
      if(${h("u * 101 + i", 33)} < 0.8, device, arrayElement(['desktop', 'iPhone', 'Android'], 1 + cityHash64(u, i, 34) % 3)),
      '', 0, 0, 0 FROM ${session} WHERE at < ${NOW_SQL}`);
  insert(`SELECT concat('ev_sp_', ${S}), 'session.pending', at - 1500, user_id, s, '', 'pending', device, '', 0, 0, 0
    FROM ${session} WHERE at < ${NOW_SQL} AND ${h("u * 101 + i", 35)} < 0.04`);
  insert(`SELECT concat('ev_se_', ${S}), multiIf(r < 0.55, 'session.ended', r < 0.64, 'session.removed', 'session.revoked'),
      at + toInt64(300000 + ${h("u * 101 + i", 36)} * 36000000), user_id, s, '',
      multiIf(r < 0.55, 'ended', r < 0.64, 'removed', 'revoked'), '', '', 0, 0, 0
    FROM ${session} WHERE r < 0.70 AND at + 36300000 < ${NOW_SQL}`);
  insert(`SELECT concat('ev_em_', ${S}), 'email.created', at - 30000, user_id, concat('ema_', ${S}), '',
      arrayElement(['queued', 'queued', 'queued', 'queued', 'queued', 'queued', 'queued', 'queued', 'sent', 'failed'], 1 + cityHash64(u, i, 37) % 10),
      '', '', 0, 0, 0 FROM ${session} WHERE at < ${NOW_SQL} AND strategy = 'email_code' AND ${h("u * 101 + i", 38)} < 0.3`);
  insert(`SELECT concat('ev_sm_', ${S}), 'sms.created', at - 20000, user_id, concat('sms_', ${S}), '',
      arrayElement(['queued', 'queued', 'queued', 'queued', 'queued', 'queued', 'queued', 'sent', 'delivered', 'undelivered'], 1 + cityHash64(u, i, 39) % 10),
      '', '', 0, 0, 0 FROM ${session} WHERE at < ${NOW_SQL} AND has_phone AND ${h("u * 101 + i", 40)} < 0.25`);
  // Organizations: 12 % of users found one; members join (some leave); 15 % are deleted.
  const org = `(SELECT u, user_id, concat('org_', lower(hex(cityHash64(u, 50)))) AS org,
        created_ms + toInt64(3600000 + ${h("u", 51)} * 30 * ${DAY_MS}) AS org_at,
        if(${h("u", 52)} < 0.15, org_at + toInt64((5 + ${h("u", 53)} * 115) * ${DAY_MS}), ${NOW_SQL} + 1) AS org_deleted
      FROM bench_users WHERE ${h("u", 54)} < 0.12 AND org_at < least(${NOW_SQL}, if(deleted, deleted_ms, ${NOW_SQL})))`;
  insert(
    `SELECT concat('ev_oc_', org), 'organization.created', org_at, '', org, org, '', '', '', 0, 0, 0 FROM ${org}`,
  );
  insert(
    `SELECT concat('ev_od_', org), 'organization.deleted', org_deleted, '', org, org, '', '', '', 0, 0, 0 FROM ${org} WHERE org_deleted < ${NOW_SQL}`,
  );
  const member = `(SELECT org, org_at, org_deleted, j,
        if(j = 0, user_id, concat('user_', lower(hex(cityHash64(cityHash64(u, j, 55) % ${users}, 1))))) AS member,
        concat('orgmem_', lower(hex(cityHash64(u, j, 56)))) AS m,
        org_at + toInt64(if(j = 0, toFloat64(1000), 3600000 + ${h("u * 13 + j", 57)} * 90 * ${DAY_MS})) AS joined,
        if(j > 0 AND ${h("u * 13 + j", 58)} < 0.25, joined + toInt64((1 + ${h("u * 13 + j", 59)} * 99) * ${DAY_MS}), org_deleted + 500) AS left_at
      FROM ${org} ARRAY JOIN range(toUInt32(1 + cityHash64(u, 60) % 7)) AS j)`;
  insert(
    `SELECT concat('ev_mc_', m), 'organizationMembership.created', joined, '', m, org, '', '', '', 0, 0, 0, member
    FROM ${member} WHERE joined < least(org_deleted, ${NOW_SQL})`,
    "member",
  );
  insert(
    `SELECT concat('ev_md_', m), 'organizationMembership.deleted', left_at, '', m, org, '', '', '', 0, 0, 0, member
    FROM ${member} WHERE joined < least(org_deleted, ${NOW_SQL}) AND left_at < ${NOW_SQL}`,
    "member",
  );
  buildBilling(q, h);
  return Number(JSON.parse(local.session.query("SELECT count() AS n FROM bench_events", "JSON")).data[0].n);
}

/**
 * Clerk Billing for 10 % of the users still there at the end: Pro monthly (60 %), Pro annual (20 %)
 * or Business monthly, in USD or EUR (30 %); a quarter of the monthly ones start with a 14-day trial
 * (30 % of those never pay); a renewal charge every period (10 % fail once, the payer is past due,
 * the retry two days later is paid); a third cancel after 1-12 periods (canceled, then ended), a tenth
 * of the Pro monthly ones upgrade to Business after six months. `payload` is the event's `data`.
 */
function buildBilling(q: (sql: string) => void, h: (row: string, k: number) => string): void {
  const NOW_SQL = `toInt64(${NOW.getTime()})`;
  const PERIOD = `if(annual, ${365 * DAY_MS}, ${30 * DAY_MS})`;
  q("DROP TABLE IF EXISTS bench_payers");
  q(`CREATE TABLE bench_payers ENGINE = MergeTree ORDER BY u AS
    SELECT u, user_id,
      ${h("u", 71)} < 0.3 AS eur,
      multiIf(${h("u", 72)} < 0.6, 'pro', ${h("u", 72)} < 0.8, 'pro_annual', 'business') AS kind,
      kind = 'pro_annual' AS annual,
      concat('cplan_', if(kind = 'business', 'business', 'pro'), if(eur, '_eur', '')) AS plan_id,
      if(kind = 'business', if(eur, 4500, 5000), if(annual, if(eur, 18000, 19200), if(eur, 1900, 2000))) AS amount,
      if(eur, 'EUR', 'USD') AS currency,
      concat('csub_item_', lower(hex(cityHash64(u, 80)))) AS item,
      created_ms + toInt64((1 + ${h("u", 73)} * 40) * ${DAY_MS}) AS start_ms,
      NOT annual AND ${h("u", 74)} < 0.25 AS trial,
      trial AND ${h("u", 75)} >= 0.7 AS trial_lost,
      if(trial, start_ms + ${14 * DAY_MS}, start_ms) AS paid_ms,
      kind = 'pro' AND ${h("u", 78)} < 0.1 AS upgrades,
      multiIf(upgrades, toUInt32(6), ${h("u", 76)} < 0.35, toUInt32(1 + cityHash64(u, 77) % 12), toUInt32(100000)) AS periods_kept
    FROM bench_users WHERE NOT deleted AND ${h("u", 70)} < 0.10
      AND created_ms + toInt64((1 + ${h("u", 73)} * 40) * ${DAY_MS}) < ${NOW_SQL}`);
  const item = (
    status: string,
    trial: string,
    at: string,
    itemId = "item",
    planId = "plan_id",
    amount = "amount",
  ) =>
    `concat('{"object":"commerce_subscription_item","id":"', ${itemId}, '","status":"${status}","is_free_trial":', if(${trial}, 'true', 'false'),
      ',"created_at":', toString(start_ms), ',"updated_at":', toString(${at}), ',"period_start":', toString(${at}),
      ',"period_end":', toString(${at} + ${PERIOD}), ',"interval":"', if(annual, 'annual', 'month'), '","plan_id":"', ${planId},
      '","plan":{"id":"', ${planId}, '","slug":"', ${planId}, '","name":"', ${planId}, '","is_recurring":true,"amount":', toString(${amount}),
      ',"currency":"', currency, '"},"payer":{"object":"commerce_payer","id":"cpayer_', user_id, '","user_id":"', user_id,
      '","first_name":"Test","last_name":"User","email":"', user_id, '@example.com","organization_id":"","organization_name":""},',
      '"subscription_id":"csub_', user_id, '"}')`;
  const attempt = (
    id: string,
    status: string,
    at: string,
    charge: string,
    failed: boolean,
    amountSql = "amount",
  ) =>
    `concat('{"id":"', ${id}, '","payment_id":"', ${id}, '","status":"${status}","created_at":', toString(${at}),
      ',"updated_at":', toString(${at} + ${status === "pending" ? 0 : 4000}), ',"charge_type":"${charge}","failed_reason":',
      '${failed ? '{"code":"card_declined","decline_code":"insufficient_funds"}' : "null"}',
      ',"totals":{"grand_total":{"amount":', toString(${amountSql}), ',"currency":"', currency, '"}},',
      '"payment_source":{"id":"cps_1","payment_method":"card","status":"active"},"payer":{"id":"cpayer_', user_id, '","user_id":"', user_id, '"}}')`;
  const insert = (
    type: string,
    ts: string,
    object: string,
    status: string,
    payload: string,
    from: string,
    where = "1",
  ) =>
    q(`INSERT INTO bench_events (event_id, event_type, ts, user_id, object_id, org_id, status, device, strategy, has_phone, locked, two_factor, payload)
      SELECT concat('ev_', lower(hex(cityHash64('${type}', ${object}, ${ts})))), '${type}', ${ts}, '', ${object}, '', '${status}', '', '', 0, 0, 0, ${payload}
      FROM ${from} WHERE (${where}) AND ${ts} < ${NOW_SQL}`);
  const attempts = (id: string, at: string, charge: string, fails: boolean, from: string, where: string) => {
    insert(
      "paymentAttempt.created",
      at,
      id,
      "pending",
      attempt(id, "pending", at, charge, false),
      from,
      where,
    );
    const outcome = fails ? "failed" : "paid";
    insert(
      "paymentAttempt.updated",
      `${at} + 4000`,
      id,
      outcome,
      attempt(id, outcome, at, charge, fails),
      from,
      where,
    );
  };
  const P = "bench_payers";
  const pa = (tag: string, extra = "") => `concat('pa_', lower(hex(cityHash64(u, '${tag}'${extra}))))`;
  // Start: a trial, or a checkout paid at once.
  insert("subscriptionItem.active", "start_ms", "item", "active", item("active", "trial", "start_ms"), P);
  attempts(pa("checkout"), "paid_ms - 30000", "checkout", false, P, "NOT trial");
  attempts(pa("conversion"), "paid_ms", "recurring", false, P, "trial AND NOT trial_lost");
  insert(
    "subscriptionItem.updated",
    "paid_ms + 1000",
    "item",
    "active",
    item("active", "false", "paid_ms + 1000"),
    P,
    "trial AND NOT trial_lost",
  );
  insert(
    "subscriptionItem.canceled",
    `start_ms + ${5 * DAY_MS}`,
    "item",
    "canceled",
    item("canceled", "true", `start_ms + ${5 * DAY_MS}`),
    P,
    "trial_lost",
  );
  insert(
    "subscriptionItem.ended",
    "paid_ms",
    "item",
    "ended",
    item("ended", "true", "paid_ms"),
    P,
    "trial_lost",
  );
  // Renewals: each period's charge; one in ten fails once and is paid two days later.
  const renewals = `(SELECT *, i, paid_ms + toInt64(i + 1) * ${PERIOD} AS due, ${h("u * 131 + i", 79)} < 0.1 AS fails
      FROM ${P} ARRAY JOIN range(toUInt32(least(periods_kept - 1, 30))) AS i WHERE NOT trial_lost)`;
  attempts(pa("renewal", ", i"), "due", "recurring", false, renewals, "NOT fails");
  insert(
    "subscriptionItem.updated",
    "due + 1000",
    "item",
    "active",
    item("active", "false", "due + 1000"),
    renewals,
    "NOT fails",
  );
  attempts(pa("renewal", ", i"), "due", "recurring", true, renewals, "fails");
  insert(
    "subscriptionItem.pastDue",
    "due + 5000",
    "item",
    "past_due",
    item("past_due", "false", "due + 5000"),
    renewals,
    "fails",
  );
  attempts(pa("retry", ", i"), `due + ${2 * DAY_MS}`, "recurring", false, renewals, "fails");
  insert(
    "subscriptionItem.active",
    `due + ${2 * DAY_MS + 5000}`,
    "item",
    "active",
    item("active", "false", `due + ${2 * DAY_MS + 5000}`),
    renewals,
    "fails",
  );
  // Leaving: canceled ten days into the last period, ended at its end; or an upgrade to Business.
  const last = `paid_ms + toInt64(periods_kept) * ${PERIOD}`;
  insert(
    "subscriptionItem.canceled",
    `${last} - ${20 * DAY_MS}`,
    "item",
    "canceled",
    item("canceled", "false", `${last} - ${20 * DAY_MS}`),
    P,
    "NOT trial_lost AND NOT upgrades AND periods_kept < 100000",
  );
  insert(
    "subscriptionItem.ended",
    last,
    "item",
    "ended",
    item("ended", "false", last),
    P,
    "NOT trial_lost AND NOT upgrades AND periods_kept < 100000",
  );
  const upgraded = `concat(item, '_business')`;
  const business = `if(eur, 'cplan_business_eur', 'cplan_business')`;
  const businessAmount = "if(eur, 4500, 5000)";
  const upgrading = "upgrades AND NOT trial_lost";
  attempts(pa("upgrade"), `${last} - 60000`, "checkout", false, P, upgrading);
  insert(
    "subscriptionItem.active",
    last,
    upgraded,
    "active",
    item("active", "false", last, upgraded, business, businessAmount),
    P,
    upgrading,
  );
  insert(
    "subscriptionItem.ended",
    `${last} + 500`,
    "item",
    "ended",
    item("ended", "false", `${last} + 500`),
    P,
    upgrading,
  );
}

/** The JSON line the forwarder would have sent for a bench event, ~2.5 KB like the fixtures. */
const RECORD = `concat('{"type":"', event_type, '","object":"event","instance_id":"ins_bench","timestamp":', toString(ts),
  ',"event_id":"', delivery_id, '","received_at":', toString(received_ms), ',"data":',
  multiIf(
    payload != '', payload,
    event_type LIKE 'user.%', concat('{"object":"user","id":"', object_id, '","primary_email_address_id":"idn_', object_id,
      '","email_addresses":[{"id":"idn_', object_id, '","email_address":"', object_id, '@example.com","verification":{"status":"verified","strategy":"', strategy,
      '"}}],"phone_numbers":', if(has_phone, '[{"id":"idn_p","verification":{"strategy":"phone_code"}}]', '[]'),
      ',"external_accounts":', if(strategy LIKE 'from_oauth_%', concat('[{"provider":"', substring(strategy, 6), '"}]'), '[]'),
      ',"passkeys":[],"web3_wallets":[],"enterprise_accounts":[],"saml_accounts":[],"password_enabled":', if(strategy LIKE 'from_%', 'false', 'true'),
      ',"two_factor_enabled":', if(two_factor, 'true', 'false'), ',"totp_enabled":', if(two_factor, 'true', 'false'),
      ',"backup_code_enabled":false,"locked":', if(locked, 'true', 'false'), ',"public_metadata":{"notes":"', repeat('u', 1700), '"}}'),
    event_type LIKE 'session.%', concat('{"object":"session","id":"', object_id, '","user_id":"', user_id, '","status":"', status,
      '","latest_activity":', if(event_type = 'session.created', concat('{"device_type":"', device, '","browser_name":"Chrome","city":"Lisbon"}'), 'null'),
      ',"user":{"object":"user","id":"', user_id, '","public_metadata":{"notes":"', repeat('s', 1900), '"}}}'),
    event_type LIKE 'organizationMembership.%', concat('{"object":"organization_membership","id":"', object_id, '","role":"org:member","organization":{"id":"', org_id,
      '","name":"Org"},"public_user_data":{"user_id":"', member, '","identifier":"x"},"notes":"', repeat('m', 1900), '"}'),
    event_type LIKE 'organization.%', concat('{"object":"organization","id":"', object_id, '","name":"Org","notes":"', repeat('o', 2000), '"}'),
    concat('{"object":"message","id":"', object_id, '","user_id":"', user_id, '","status":"', status, '","body":"', repeat('e', 2000), '"}')
  ),
  ',"event_attributes":{"http_request":{"client_ip":"203.0.113.7","user_agent":"Mozilla/5.0"}}}')`;

/** Every delivery (6 % retried once or twice, later), inserted in arrival order in blocks. */
function ingestHistory(local: LocalTinybird): number {
  const q = (sql: string) => local.session.query(sql);
  q("DROP TABLE IF EXISTS bench_deliveries");
  q(`CREATE TABLE bench_deliveries ENGINE = MergeTree ORDER BY received_ms AS
    SELECT e.*, concat('msg_', lower(hex(cityHash64(event_id)))) AS delivery_id,
      ts + 40 + toInt64(cityHash64(event_id, 1) % 2460) + toInt64(k * (5000 + cityHash64(event_id, 2) % 21600000)) AS received_ms
    FROM bench_events AS e
    ARRAY JOIN range(toUInt32(if(cityHash64(event_id, 3) % 100 < 5, if(cityHash64(event_id, 4) % 5 = 0, 3, 2), 1))) AS k`);
  const rows = Number(
    JSON.parse(local.session.query("SELECT count() AS n FROM bench_deliveries", "JSON")).data[0].n,
  );
  const ds = local.project.dataSource.definition.name;
  const blocks = Math.ceil(rows / BLOCK_ROWS);
  const started = performance.now();
  for (let b = 0; b < blocks; b++) {
    q(`INSERT INTO \`${ds}\` SELECT
        delivery_id AS event_id, event_type, fromUnixTimestamp64Milli(ts, 'UTC') AS event_time,
        fromUnixTimestamp64Milli(received_ms, 'UTC') AS received_at, 'ins_bench' AS instance_id,
        object_id, user_id, '' AS organization_id, member AS member_user_id,
        if(event_type LIKE 'organizationMembership.%', org_id, '') AS member_organization_id,
        status, ${RECORD} AS record
      FROM (SELECT * FROM bench_deliveries ORDER BY received_ms LIMIT ${BLOCK_ROWS} OFFSET ${b * BLOCK_ROWS})`);
    if (b % 4 === 3 || b === blocks - 1)
      process.stdout.write(
        `  inserted block ${b + 1}/${blocks} (${Math.round((performance.now() - started) / 1000)} s)\n`,
      );
  }
  return rows;
}

function rawPipes(dataSource: string): Map<string, PipeDefinition> {
  const dir = join(__dirname, "raw-pipes");
  return new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith(".pipe"))
      .map((f) => {
        const name = f.slice(0, -".pipe".length);
        const text = readFileSync(join(dir, f), "utf8").replace(/\bclerk_events\b/g, dataSource);
        return [name, parsePipe(text, name, `test/bench/raw-pipes/${f}`)];
      }),
  );
}

const mb = (bytes: number | undefined) => (bytes === undefined ? "—" : `${(bytes / 1e6).toFixed(1)} MB`);
const cell = (m: Measured | null) =>
  m
    ? `${m.ms} ms (cpu ${m.cpuMs} ms), ${m.rowsRead.toLocaleString("en")} rows, ${mb(m.bytesRead)}`
    : "failed";

const count = (session: Session, sql: string) => Number(JSON.parse(session.query(sql, "JSON")).data[0].n);

export async function run(): Promise<void> {
  const wanted = eventsWanted();
  const dir = process.env.BENCH_ANALYTICS_DIR;
  // BENCH_ANALYTICS_RAW=0 skips the raw-scan pipes (minutes each at 10M): rollup figures only.
  const withRaw = process.env.BENCH_ANALYTICS_RAW !== "0";
  const session = dir ? new Session(dir) : new Session();
  try {
    // A runaway raw query must not take the machine: Tinybird's own limit is of this order.
    session.query("SET max_memory_usage = 10000000000");
    // A history stored by an older bench (another shape: before billing events) is built again.
    const stored = count(
      session,
      `SELECT count() AS n FROM system.columns WHERE database = 'default' AND table = 'bench_meta' AND name = 'shape'`,
    )
      ? count(session, `SELECT any(events) AS n FROM bench_meta WHERE shape = '${HISTORY_SHAPE}'`)
      : 0;
    let local: LocalTinybird;
    let deliveries: number;
    let t = performance.now();
    if (stored === wanted) {
      process.stdout.write(`Reusing the ~${wanted.toLocaleString("en")}-event history stored in ${dir}\n`);
      // The project builder rebuilds what the datafiles changed, partition by partition (a populate).
      const project = loadProject(ROOT);
      const report = runOnSession(
        session,
        syncProject(project, {
          database: "default",
          progress: (line) => process.stdout.write(`  ${line}\n`),
        }),
      );
      local = { session, project, database: "default" };
      deliveries = report.landingRows;
      process.stdout.write(
        `  ${report.rebuilt.map((r) => r.table).join(", ") || "no rollup"} rebuilt from ${deliveries.toLocaleString("en")} stored deliveries in ${Math.round((performance.now() - t) / 1000)} s\n`,
      );
    } else {
      const project = loadProject(ROOT);
      for (const m of project.materializations) session.query(`DROP VIEW IF EXISTS \`${m.definition.name}\``);
      for (const ds of [project.dataSource, ...project.rollups, { definition: { name: "bench_meta" } }])
        session.query(`DROP TABLE IF EXISTS \`${ds.definition.name}\``);
      local = loadTinybirdProject(session, ROOT);
      process.stdout.write(`Building a ~${wanted.toLocaleString("en")}-event history in SQL…\n`);
      const events = buildHistory(local, wanted);
      process.stdout.write(
        `  ${events.toLocaleString("en")} events in ${Math.round(performance.now() - t)} ms\n`,
      );
      t = performance.now();
      deliveries = ingestHistory(local);
      process.stdout.write(
        `  ${deliveries.toLocaleString("en")} deliveries inserted in blocks of ${BLOCK_ROWS.toLocaleString("en")} (views firing) in ${Math.round((performance.now() - t) / 1000)} s\n`,
      );
      if (dir)
        session.query(
          `CREATE TABLE bench_meta ENGINE = MergeTree ORDER BY tuple() AS SELECT ${wanted} AS events, '${HISTORY_SHAPE}' AS shape`,
        );
    }
    t = performance.now();
    for (const r of local.project.rollups) session.query(`OPTIMIZE TABLE \`${r.definition.name}\` FINAL`);
    process.stdout.write(`  rollups merged (OPTIMIZE … FINAL) in ${Math.round(performance.now() - t)} ms\n`);
    // The time limit is for the measured queries; building, inserting and merging may take longer
    // on a shared machine (an insert block past 180 s under load is slow, not runaway).
    session.query("SET max_execution_time = 180");
    const [shape] = JSON.parse(
      session.query(
        `SELECT round(countIf(event_type LIKE 'session.%') / count(), 3) AS sessions_share,
           round(countIf(event_type LIKE 'subscription%' OR event_type LIKE 'paymentAttempt.%') / count(), 3) AS billing_share,
           round(1 - uniqExact(event_id) / count(), 3) AS duplicate_share, round(avg(length(record))) AS record_bytes
         FROM ${local.project.dataSource.definition.name}`,
        "JSON",
      ),
    ).data;
    process.stdout.write(`  shape: ${JSON.stringify(shape)}\n\n`);
    const raw = rawPipes(local.project.dataSource.definition.name);
    const results: {
      name: string;
      range: string;
      rawMs: number | null;
      newMs: number | null;
      newCpuMs: number | null;
      rawBytes: number | null;
      newBytes: number | null;
      identical: boolean | null;
    }[] = [];
    const names = local.project.pipes.map((p) => p.definition.name);
    process.stdout.write("| endpoint | range | raw scan | rollups | identical |\n|---|---|---|---|---|\n");
    const cases: [string, string, Record<string, string>][] = [
      ...names.flatMap((name) =>
        (RANGES[name] ?? DATE_RANGES).map(([range, params]): [string, string, Record<string, string>] => [
          name,
          range,
          params,
        ]),
      ),
      ...DASHBOARD_CASES,
    ];
    for (const [name, range, params] of cases) {
      // A failing endpoint is reported (null figures), and the bench goes on with the others.
      const fresh = measure(local, pipeSql(local, name, params, NOW), RUNS);
      const rawPipe = withRaw ? raw.get(name) : undefined;
      const old = rawPipe
        ? measure(local, renderPipeSql(rawPipe, params, { now: NOW }), wanted > 2_000_000 ? 1 : RUNS)
        : null;
      // The raw pipes predate the `complete` column: compare the figures.
      const figures = (rows: unknown[]) => rows.map((r) => ({ ...(r as object), complete: undefined }));
      const identical =
        old && fresh ? JSON.stringify(figures(old.rows)) === JSON.stringify(figures(fresh.rows)) : null;
      process.stdout.write(
        `| ${name} | ${range} | ${rawPipe ? cell(old) : withRaw ? "(new endpoint)" : "(not run)"} | ${cell(fresh)} | ${identical ?? "—"} |\n`,
      );
      results.push({
        name,
        range,
        rawMs: old?.ms ?? null,
        newMs: fresh?.ms ?? null,
        newCpuMs: fresh?.cpuMs ?? null,
        rawBytes: old?.bytesRead ?? null,
        newBytes: fresh?.bytesRead ?? null,
        identical,
      });
    }
    process.stdout.write(
      "\nTargets (2 cores): every rollup endpoint <= 1 s median and <= 100 MB read over 1 year at 10M events; identical at 1M.\n",
    );
    process.stdout.write(`${JSON.stringify({ events: deliveries, endpoints: results })}\n`);
  } finally {
    session.cleanup();
  }
}
