import { describe, expect, it } from "vitest";
import { parsePipe } from "../../tinybird-model/pipe-file";
import { pinClock, renderPipeSql, renderSql, TemplateError } from "../../tinybird-model/template";

const t = (body: string) => `%\n${body}`;

describe("renderSql (Tinybird's template rendering, for the constructs the pipes use)", () => {
  it("leaves SQL without the leading % line untouched, as Tinybird does", () => {
    expect(renderSql("SELECT '{{ x }}' AS braces", { x: "1" })).toBe("SELECT '{{ x }}' AS braces");
    expect(renderSql(t("SELECT 1"))).toBe("SELECT 1");
  });

  it("prints typed parameters as Tinybird does: dates and strings quoted, sized integers as casts", () => {
    expect(renderSql(t("{{ Date(start_date, '2024-01-01') }}"))).toBe("'2024-01-01'");
    expect(renderSql(t("{{ Date(start_date, '2024-01-01') }}"), { start_date: "2025-02-03" })).toBe(
      "'2025-02-03'",
    );
    expect(renderSql(t("{{ DateTime(at) }}"), { at: "2018-09-07 23:55:00" })).toBe("'2018-09-07 23:55:00'");
    expect(renderSql(t("{{ Int32(inactive_days, 30) }}"))).toBe("toInt32('30')");
    expect(renderSql(t('{{Int32(inactive_days, 30, description="days")}}'), { inactive_days: "14" })).toBe(
      "toInt32('14')",
    );
    expect(renderSql(t("{{ String(granularity, 'day') }}"))).toBe("'day'");
    expect(renderSql(t("{{ Boolean(flag) }}"), { flag: "false" })).toBe("0");
  });

  it("escapes string values so a parameter cannot end the literal", () => {
    expect(renderSql(t("{{ String(s) }}"), { s: "x'; DROP TABLE t; --" })).toBe("'x\\'; DROP TABLE t; --'");
    expect(renderSql(t("{{ String(s) }}"), { s: 'a\\b"c%' })).toBe("'a\\\\b\\\"c\\%'");
  });

  it("rejects values that fail Tinybird's type testers, naming the value and the type", () => {
    expect(() => renderSql(t("{{ Date(d) }}"), { d: "2024-1-1" })).toThrow(
      "Error validating '2024-1-1' to type Date",
    );
    expect(() => renderSql(t("{{ Int32(n) }}"), { n: "ten" })).toThrow(
      "Error validating 'ten' to type Int32",
    );
    expect(() => renderSql(t("{{ Int32(n) }}"), { n: String(2 ** 31) })).toThrow(/to type Int32/);
    expect(() => renderSql(t("{{ UInt8(n) }}"), { n: "-1" })).toThrow(/to type UInt8/);
  });

  it("fails like Tinybird when a parameter has neither a value nor a default", () => {
    expect(() => renderSql(t("{{ Date(start_date) }}"))).toThrow("Required parameter is not defined");
    expect(() => renderSql(t("{{ start_date }}"))).toThrow('expression "start_date" evaluated to null');
  });

  it("chooses if/elif/else branches on defined() and comparisons; a missing parameter is None", () => {
    const range = t(
      "{% if defined(start_date) %}toDate({{ Date(start_date) }}){% else %}today() - 89{% end %}",
    );
    expect(renderSql(range)).toBe("today() - 89");
    expect(renderSql(range, { start_date: "2025-01-01" })).toBe("toDate('2025-01-01')");

    const period = t(
      "{% if granularity == 'week' %}toMonday(d){% elif granularity == 'month' %}toStartOfMonth(d){% else %}d{% end %}",
    );
    expect(renderSql(period)).toBe("d");
    expect(renderSql(period, { granularity: "week" })).toBe("toMonday(d)");
    expect(renderSql(period, { granularity: "month" })).toBe("toStartOfMonth(d)");

    const nested = t(
      "{% if not defined(a) or a in ('x', 'y') %}{% if defined(b) and b != 'z' %}B{% end %}A{% end %}",
    );
    expect(renderSql(nested)).toBe("A");
    expect(renderSql(nested, { a: "y", b: "q" })).toBe("BA");
    expect(renderSql(nested, { a: "w", b: "q" })).toBe("");
  });

  it("compares typed integers as numbers and refuses to order a raw string against a number", () => {
    expect(renderSql(t("{% if Int32(n, 30) < 1 %}bad{% else %}ok{% end %}"), { n: "0" })).toBe("bad");
    expect(renderSql(t("{% if Int32(n, 30) < 1 %}bad{% else %}ok{% end %}"))).toBe("ok");
    expect(() => renderSql(t("{% if n < 1 %}x{% end %}"), { n: "0" })).toThrow(
      /wrap the parameter in a type/,
    );
    expect(
      renderSql(t("{% if start_date > end_date %}after{% end %}"), {
        start_date: "2025-02-01",
        end_date: "2025-01-01",
      }),
    ).toBe("after");
  });

  it("gives date_diff_in_seconds as Tinybird documents it, None for a day the calendar lacks when asked", () => {
    const check = t(
      "{% if date_diff_in_seconds(d, '1970-01-01', date_format='%Y-%m-%d', none_if_error=True) == None %}bad{% else %}ok{% end %}",
    );
    expect(["2024-02-29", "2025-02-30", "2025-13-01", "x"].map((d) => renderSql(check, { d }))).toEqual([
      "ok",
      "bad",
      "bad",
      "bad",
    ]);
    expect(renderSql(t("{{ date_diff_in_seconds('2022-12-19 18:42:22', '2022-12-19 18:42:23') }}"))).toBe(
      "1",
    );
    expect(() => renderSql(t("{{ date_diff_in_seconds('2022-12-19', '2022-12-18') }}"))).toThrow(
      /do not match the format/,
    );
  });

  it("turns error() into a request error carrying the pipe's message", () => {
    const guard = t(
      "{% if defined(g) and g not in ('day', 'week') %}{{ error('granularity must be day or week') }}{% end %}ok",
    );
    expect(renderSql(guard, { g: "week" })).toBe("ok");
    expect(() => renderSql(guard, { g: "year" })).toThrow(
      new TemplateError("granularity must be day or week"),
    );
  });

  it("refuses constructs it does not implement instead of guessing, and reserved parameter names", () => {
    expect(() => renderSql(t("{% for x in y %}{% end %}"))).toThrow(/not supported by this renderer/);
    expect(() => renderSql(t("{{ columns(c, 'a') }}"))).toThrow(/not a function this renderer supports/);
    expect(() => renderSql(t("{% if x %}"))).toThrow(/without \{% end %\}/);
    expect(() => renderSql(t("{{ String(format, 'json') }}"))).toThrow(/"format" can not be used/);
    expect(renderSql(t("a{# a comment #}b"))).toBe("ab");
  });
});

describe("pinClock", () => {
  const now = new Date(Date.UTC(2025, 2, 31, 15, 4, 5, 678));

  it("replaces now() and today() outside literals by the fixed instant", () => {
    expect(pinClock("SELECT now(), today() - 1, 'now()' AS s, `today()` AS c, NOW ( )", now)).toBe(
      "SELECT toDateTime('2025-03-31 15:04:05'), toDate('2025-03-31') - 1, 'now()' AS s, `today()` AS c, toDateTime('2025-03-31 15:04:05')",
    );
  });

  it("reads an apostrophe in a -- comment as part of the comment, not as a string's start", () => {
    expect(pinClock("SELECT 1 -- the month's days\n, today() -- it's 'today()'\n", now)).toBe(
      "SELECT 1 -- the month's days\n, toDate('2025-03-31') -- it's 'today()'\n",
    );
  });

  it("refuses other clock functions so no query reads the machine's clock", () => {
    expect(() => pinClock("SELECT yesterday()", now)).toThrow(/now\(\) and today\(\) only/);
    expect(() => pinClock("SELECT now64(3)", now)).toThrow(/now64/);
  });
});

describe("renderPipeSql", () => {
  const pipe = parsePipe(
    [
      'TOKEN "clerk_read" READ',
      "NODE picked",
      "SQL >",
      "    %",
      "    SELECT number AS n FROM numbers(10) WHERE n < {{ Int32(limit, 5) }}",
      "",
      "NODE endpoint",
      "SQL >",
      "    WITH 2 AS factor",
      "    SELECT n * factor AS doubled, today() AS d FROM picked",
      "TYPE endpoint",
    ].join("\n"),
    "demo",
  );

  it("makes earlier nodes visible by name and keeps the endpoint's own WITH clause", () => {
    expect(renderPipeSql(pipe, { limit: "3" }, { now: new Date(Date.UTC(2025, 0, 2)) })).toBe(
      [
        "WITH `picked` AS (",
        "SELECT number AS n FROM numbers(10) WHERE n < toInt32('3')",
        "),",
        " 2 AS factor",
        "SELECT n * factor AS doubled, toDate('2025-01-02') AS d FROM picked",
      ].join("\n"),
    );
  });
});
