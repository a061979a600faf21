import { describe, expect, it } from "vitest";
import {
  cellText,
  csv,
  curlLine,
  endpointUrl,
  PANELS,
  panelId,
  panelQuery,
  tableColumns,
} from "../../dashboard-app/panels";

const panel = (id: string) => PANELS.find((p) => panelId(p) === id)!;

describe("a card's numbers: table, CSV, endpoint", () => {
  it("shows a ratio as a percent in the table and keeps it raw in the CSV, whose header says ratio", () => {
    const active = panel("active_users");
    const rows = [
      { day: "2025-03-30", dau: 10, wau: 20, mau: 40, stickiness: 0.25, complete: true },
      { day: "2025-03-31", dau: 2, wau: 18, mau: 39, stickiness: 0.0513, complete: false },
    ];
    expect(tableColumns(active, rows)).toEqual(["day", "dau", "wau", "mau", "stickiness", "complete"]);
    expect(cellText(active, rows[1]!, "stickiness", "")).toBe("5.1%");
    expect(cellText(active, rows[1]!, "complete", "")).toBe("no, so far");
    expect(csv(active, rows, "")).toBe(
      "day,dau,wau,mau,stickiness (ratio),complete\r\n2025-03-30,10,20,40,0.25,true\r\n2025-03-31,2,18,39,0.0513,false\r\n",
    );
  });

  it("shows money in the currency's units and the headline's ratio rows as percents", () => {
    const mrr = panel("billing_subscriptions");
    expect(cellText(mrr, { mrr: 123456 }, "mrr", "USD")).toBe("1,234.56");
    expect(cellText(mrr, { mrr: 1234 }, "mrr", "JPY")).toBe("1,234");
    expect(csv(mrr, [{ period: "2025-03-01", mrr: 123456 }], "USD").split("\r\n")[0]).toContain(
      "mrr (USD minor units)",
    );
    const headline = panel("headline");
    const stickiness = {
      figure: "stickiness",
      unit: "ratio",
      value: 0.2,
      previous_value: 0.1,
      change: 0.1,
      change_ratio: 1,
    };
    expect(cellText(headline, stickiness, "value", "")).toBe("20.0%");
    expect(cellText(headline, stickiness, "change_ratio", "")).toBe("100.0%");
    expect(
      cellText(headline, { ...stickiness, figure: "new_users", unit: "users", value: 7 }, "value", ""),
    ).toBe("7");
    expect(cellText(headline, { ...stickiness, change_ratio: null }, "change_ratio", "")).toBe("–");
  });

  it("quotes CSV fields that need it", () => {
    const methods = panel("sign_in_methods");
    expect(csv(methods, [{ dimension: "device_type", method: 'Chrome, "beta"', users: 3 }], "")).toBe(
      'dimension,method,users\r\ndevice_type,"Chrome, ""beta""",3\r\n',
    );
  });

  it("gives the endpoint's URL and a curl line with the token as a placeholder", () => {
    const churn = panel("churn");
    const url = endpointUrl(
      "https://api.tinybird.co/",
      churn,
      panelQuery(churn, { start: "2025-01-01", end: "2025-01-31", granularity: "week" }),
    );
    expect(url).toBe(
      "https://api.tinybird.co/v0/pipes/churn.json?start_date=2025-01-01&end_date=2025-01-31&granularity=week",
    );
    expect(curlLine(url)).toBe(`curl -H "Authorization: Bearer $TINYBIRD_READ_TOKEN" '${url}'`);
  });
});
