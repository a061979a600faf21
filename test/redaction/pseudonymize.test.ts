import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRedactor, PSEUDONYM_PREFIX, RedactionConfigError } from "../../lambda/redaction/index";
import { clerkFixture } from "../support/forwarder-stubs";
import { getPath } from "./support";

const KEY_A = "key-a-0123456789abcdef0123456789";
const KEY_B = "key-b-0123456789abcdef0123456789";
const PSEUDONYM = new RegExp(`^${PSEUDONYM_PREFIX}[0-9a-f]{32}$`);

function event(data: Record<string, unknown>): Record<string, unknown> {
  return { object: "event", type: "user.updated", timestamp: 1716883200000, instance_id: "ins_1", data };
}
const field =
  (key: string, redactor = createRedactor({ pseudonymizationKey: KEY_A })) =>
  (value: unknown) =>
    getPath(redactor(event({ [key]: value })), `data.${key}`);

describe("pseudonymisation of personal data", () => {
  it("is off by default: e-mails, phone numbers and IPs are kept", () => {
    for (const name of [
      "waitlistEntry.updated",
      "sms.created",
      "session.created",
      "paymentAttempt.created",
    ]) {
      const input = clerkFixture(name);
      const out = createRedactor()(input);
      expect(JSON.stringify(out.event_attributes)).toBe(JSON.stringify(input.event_attributes));
    }
    expect(getPath(createRedactor()(clerkFixture("waitlistEntry.created")), "data.email_address")).toBe(
      "john.doe@example.com",
    );
  });

  it("is stable for the same input and key, across redactor instances (containers)", () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        const first = field("email_address", createRedactor({ pseudonymizationKey: KEY_A }))(email);
        const second = field("email_address", createRedactor({ pseudonymizationKey: KEY_A }))(email);
        expect(first).toMatch(PSEUDONYM);
        expect(second).toBe(first);
      }),
      { numRuns: 50 },
    );
  });

  it("differs across keys", () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        const a = field("email_address", createRedactor({ pseudonymizationKey: KEY_A }))(email);
        const b = field("email_address", createRedactor({ pseudonymizationKey: KEY_B }))(email);
        expect(a).not.toBe(b);
      }),
      { numRuns: 50 },
    );
  });

  it("differs across addresses", () => {
    const email = field("email_address");
    expect(email("jane.doe@acme.com")).not.toBe(email("john.doe@acme.com"));
  });

  it("normalises e-mails (case, surrounding spaces) so one address joins with itself", () => {
    const email = field("email");
    expect(email("  John.Doe@ACME.com ")).toBe(email("john.doe@acme.com"));
    // The same address under a different field name, or as an identifier, gives the same pseudonym.
    expect(field("identifier")("john.doe@acme.com")).toBe(email("john.doe@acme.com"));
    expect(field("to_email_address")("JOHN.DOE@acme.com")).toBe(email("john.doe@acme.com"));
  });

  it("normalises phone numbers (spaces, dashes, brackets)", () => {
    expect(field("phone_number")("+1 (987) 654-3210")).toBe(field("to_phone_number")("+19876543210"));
    expect(field("identifier")("+19876543210")).toBe(field("phone_number")("+19876543210"));
  });

  it("replaces IPs under IP-named fields, not version strings that look like one", () => {
    const redact = createRedactor({ pseudonymizationKey: KEY_A });
    const out = redact(clerkFixture("session.created"));
    expect(getPath(out, "data.latest_activity.ip_address")).toMatch(PSEUDONYM);
    expect(getPath(out, "event_attributes.http_request.client_ip")).toBe(
      getPath(out, "data.latest_activity.ip_address"),
    );
    expect(getPath(out, "data.latest_activity.browser_version")).toBe("128.0.0.0");
    expect(field("ip_addresses")(["10.0.0.1", "2001:DB8::1"])).toEqual([
      field("ip")("10.0.0.1"),
      field("ip")("2001:db8::1"),
    ]);
  });

  it("finds an e-mail address wherever it is a whole string value (user metadata)", () => {
    const out = createRedactor({ pseudonymizationKey: KEY_A })(
      event({ public_metadata: { billing: { contact: "Ops@Acme.com" } }, username: "jane@acme.com" }),
    );
    expect(getPath(out, "data.public_metadata.billing.contact")).toBe(field("email")("ops@acme.com"));
    expect(getPath(out, "data.username")).toBe(field("email")("jane@acme.com"));
  });

  it("pseudonymises addresses inside a user's email_addresses and phone_numbers, keeping their ids", () => {
    const input = clerkFixture("user.updated");
    const data = input.data as Record<string, unknown>;
    data.email_addresses = [
      { id: "idn_1", email_address: "a@acme.com", verification: { strategy: "email_code" } },
    ];
    data.phone_numbers = [{ id: "idn_2", phone_number: "+15550001111", backup_codes: null }];
    const out = createRedactor({ pseudonymizationKey: KEY_A })(input);
    expect(getPath(out, "data.email_addresses")).toEqual([
      { id: "idn_1", email_address: field("email")("a@acme.com"), verification: { strategy: "email_code" } },
    ]);
    expect(getPath(out, "data.phone_numbers")).toEqual([
      { id: "idn_2", phone_number: field("phone")("+15550001111"), backup_codes: null },
    ]);
  });

  it("keeps usernames, ids, the sender's own number and sender name", () => {
    const redact = createRedactor({ pseudonymizationKey: KEY_A });
    const sms = redact(clerkFixture("sms.created"));
    expect(getPath(sms, "data.from_phone_number")).toBe("+12345678901");
    expect(getPath(sms, "data.phone_number_id")).toBe("idn_2g7np7Hrk0SN6kj5EDMLDaKNL0S");
    const email = redact(clerkFixture("email.created"));
    expect(getPath(email, "data.from_email_name")).toBe("notifications");
    expect(getPath(email, "data.email_address_id")).toBe("idn_abcd");
    const user = redact(clerkFixture("user.updated"));
    expect(getPath(user, "data.username")).toBe("johndoe");
    expect(field("identifier")("johndoe")).toBe("johndoe");
  });

  it("replaces people's first and last names (users, members, billing payers), not other names", () => {
    const redact = createRedactor({ pseudonymizationKey: KEY_A });
    const user = redact(clerkFixture("user.updated"));
    expect(getPath(user, "data.first_name")).toBe(field("first_name")("John"));
    expect(getPath(user, "data.last_name")).toBe(field("lastName")(" doe updated "));
    for (const type of ["subscriptionItem.active", "paymentAttempt.updated"]) {
      const payer = getPath(redact(clerkFixture(type)), "data.payer") as Record<string, string>;
      expect(payer.first_name, type).toMatch(PSEUDONYM);
      expect(payer.last_name, type).toMatch(PSEUDONYM);
      expect(payer.email, type).toMatch(PSEUDONYM);
    }
    const item = redact(clerkFixture("subscriptionItem.active"));
    expect(getPath(item, "data.plan.name")).toBe("Free Plan");
    expect(getPath(item, "data.payer.organization_name")).toBe("");
    expect(field("role_name")("Admin")).toBe("Admin");
    expect(field("organization_name")("Acme")).toBe("Acme");
    expect(field("token_name")("ci")).toBe("ci");
    // An empty name (an organization payer has no first name) stays empty.
    expect(field("first_name")("")).toBe("");
  });

  it("redacts a credential rather than pseudonymise it (a field both secret- and e-mail-named)", () => {
    expect(field("secret_email")("hidden@acme.com")).toBe("[redacted]");
  });

  it.each([
    ["", "empty"],
    ["short", "too short"],
  ])("refuses an unusable key %j, naming the secret field", (key, problem) => {
    const create = () => createRedactor({ pseudonymizationKey: key });
    expect(create).toThrow(RedactionConfigError);
    expect(create).toThrow(problem);
    expect(create).toThrow("pseudonymizationKey");
  });
});
