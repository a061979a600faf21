import { describe, expect, it } from "vitest";
import { createRedactor, REDACTED, RedactionConfigError } from "../../lambda/redaction/index";
import { clerkFixture } from "../support/forwarder-stubs";
import { getPath } from "./support";

function userWithAddresses(): Record<string, unknown> {
  const event = clerkFixture("user.updated");
  (event.data as Record<string, unknown>).email_addresses = [
    {
      id: "idn_1",
      object: "email_address",
      email_address: "a@acme.com",
      verification: { strategy: "email_code" },
    },
    { id: "idn_2", object: "email_address", email_address: "b@acme.com", verification: null },
  ];
  return event;
}

describe("extra paths (stack config redactPaths)", () => {
  it("replaces a whole object with the marker, keeping the key in place", () => {
    const input = clerkFixture("session.created");
    const out = createRedactor({ extraPaths: ["data.user.private_metadata"] })(input);
    expect(getPath(out, "data.user.private_metadata")).toBe(REDACTED);
    expect(Object.keys(getPath(out, "data.user") as object)).toEqual(
      Object.keys(getPath(input, "data.user") as object),
    );
  });

  it("leaves null alone: there is nothing to hide (user.created has private_metadata: null)", () => {
    const out = createRedactor({ extraPaths: ["data.private_metadata"] })(clerkFixture("user.created"));
    expect(getPath(out, "data.private_metadata")).toBeNull();
  });

  it("matches every array element with *, and only the named field in each", () => {
    const out = createRedactor({ extraPaths: ["data.email_addresses.*.email_address"] })(userWithAddresses());
    expect(getPath(out, "data.email_addresses")).toEqual([
      {
        id: "idn_1",
        object: "email_address",
        email_address: REDACTED,
        verification: { strategy: "email_code" },
      },
      { id: "idn_2", object: "email_address", email_address: REDACTED, verification: null },
    ]);
  });

  it("addresses one array element by its index", () => {
    const out = createRedactor({ extraPaths: ["data.email_addresses.1.email_address"] })(userWithAddresses());
    expect(getPath(out, "data.email_addresses.0.email_address")).toBe("a@acme.com");
    expect(getPath(out, "data.email_addresses.1.email_address")).toBe(REDACTED);
  });

  it("matches any key with *, and applies overlapping paths together", () => {
    const input = clerkFixture("organizationMembership.created");
    const out = createRedactor({ extraPaths: ["data.*.image_url", "data.organization.slug"] })(input);
    expect(getPath(out, "data.organization.image_url")).toBe(REDACTED);
    expect(getPath(out, "data.public_user_data.image_url")).toBe(REDACTED);
    expect(getPath(out, "data.organization.slug")).toBe(REDACTED);
    expect(getPath(out, "data.organization.name")).toBe("Acme Corp");
    expect(getPath(out, "data.public_user_data.profile_image_url")).toBe("https://img.clerk.com/yyyyy");
  });

  it("adds to the default rules, in every event type", () => {
    const redact = createRedactor({ extraPaths: ["data.user_id"] });
    const email = redact(clerkFixture("email.created"));
    expect(getPath(email, "data.user_id")).toBe(REDACTED);
    expect(getPath(email, "data.body")).toBe(REDACTED);
    expect(getPath(redact(clerkFixture("session.created")), "data.user_id")).toBe(REDACTED);
  });

  it("changes nothing where a path does not exist", () => {
    const input = clerkFixture("role.created");
    expect(JSON.stringify(createRedactor({ extraPaths: ["data.nope.*.x"] })(input))).toBe(
      JSON.stringify(input),
    );
  });

  it("accepts surrounding spaces and ignores blank entries (as REDACT_PATHS splits on commas)", () => {
    const out = createRedactor({ extraPaths: [" data.slug ", "", "  "] })(clerkFixture("sms.created"));
    expect(getPath(out, "data.slug")).toBe(REDACTED);
  });

  it.each([
    ["data..private_metadata", "segment 2 is empty"],
    [".data", "segment 1 is empty"],
    ["data.", "segment 2 is empty"],
    ["data[0].email", 'segment 1 "data[0]"'],
    ["data.email addresses", 'segment 2 "email addresses"'],
    ["data.private*", 'segment 2 "private*"'],
    ["data.**", 'segment 2 "**"'],
  ])("rejects %j when the redactor is created, naming the problem and the config key", (path, problem) => {
    const create = () => createRedactor({ extraPaths: ["data.ok", path] });
    expect(create).toThrow(RedactionConfigError);
    expect(create).toThrow(problem);
    expect(create).toThrow(`"${path}"`);
    expect(create).toThrow("redactPaths");
  });

  it("gives the error a kind the forwarder can map", () => {
    try {
      createRedactor({ extraPaths: ["a..b"] });
      expect.unreachable();
    } catch (error) {
      expect((error as RedactionConfigError).kind).toBe("redaction_config");
    }
  });
});
