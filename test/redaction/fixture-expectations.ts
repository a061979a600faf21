/**
 * What each of the 45 Clerk fixtures carries, written out by hand from reading them: the credential strings,
 * where they sit and what each place must become; and where personal data sits. Fixtures not listed carry
 * neither, apart from `event_attributes.http_request.client_ip`, which every event has.
 * Shared by the redactor's tests and the forwarder end-to-end test.
 */
import { REDACTED } from "../../lambda/redaction/index";

export interface CredentialExpectation {
  /** Strings that must not appear anywhere in what is forwarded. */
  readonly secrets: readonly string[];
  /** Path → the value it must have after redaction (everything else stays byte for byte). */
  readonly redacted: Readonly<Record<string, string>>;
}

export const CREDENTIALS: Readonly<Record<string, CredentialExpectation>> = {
  "email.created": {
    // The code, and the message texts that carry it (their distinctive sentences stand for the whole body).
    secrets: [
      "123456",
      "123456 is your OTP code for Acme.",
      "123456 is your verification code",
      "<b>123456</b>",
    ],
    redacted: {
      "data.body": REDACTED,
      "data.body_plain": REDACTED,
      "data.subject": REDACTED,
      "data.data.otp_code": REDACTED,
    },
  },
  "sms.created": {
    secrets: ["123456", "Your verification code is 123456"],
    redacted: { "data.message": REDACTED },
  },
  // private_metadata is backend-only storage: redacted whole by default (empty ones are kept as sent).
  "organization.updated": {
    secrets: ["ORG-123"],
    redacted: { "data.private_metadata": REDACTED },
  },
  ...Object.fromEntries(
    ["created", "accepted", "revoked"].map((action) => [
      `organizationInvitation.${action}`,
      {
        secrets: ["token=abc123"],
        redacted: { "data.url": `https://accounts.acme.com/accept-invitation?token=${REDACTED}` },
      },
    ]),
  ),
  // Billing: the card's details and the payment processor's ids (a Stripe payment intent, payment method and
  // account) go; the payment method, its status, the gateway and Clerk's own ids stay.
  ...Object.fromEntries(
    ["created", "updated"].map((action) => [
      `paymentAttempt.${action}`,
      {
        secrets: [
          "pi_1A2B3C4D5E6F7G8H9I0J1K2L",
          "pm_1A2B3C4D5E6F7G8H9I0J1K2L",
          "acct_1A2B3C4D5E6F7G8H",
          "4242",
          "visa",
        ],
        redacted: {
          "data.gateway_external_id": REDACTED,
          "data.payee.gateway_external_id": REDACTED,
          "data.payment_source.gateway_external_id": REDACTED,
          "data.payment_source.gateway_external_account_id": REDACTED,
          "data.payment_source.card_type": REDACTED,
          "data.payment_source.last4": REDACTED,
        },
      },
    ]),
  ),
};

export type AddressKind = "email" | "phone" | "ip" | "name";

/** A person's first and last name under `prefix` (a user, a member's public data, a billing payer). */
const names = (prefix: string) => ({
  [`${prefix}.first_name`]: "name" as const,
  [`${prefix}.last_name`]: "name" as const,
});

/** Path → kind of the personal data pseudonymised when a key is set (besides the client IP of every event). */
export const PERSONAL: Readonly<Record<string, Readonly<Record<string, AddressKind>>>> = {
  "email.created": { "data.to_email_address": "email" },
  "sms.created": { "data.to_phone_number": "phone" }, // from_phone_number is the sender's: kept
  // The user's e-mail addresses are absent from these fixtures' data; their names are there.
  "user.created": names("data"),
  "user.updated": names("data"),
  "session.created": { "data.latest_activity.ip_address": "ip", ...names("data.user") },
  ...Object.fromEntries(
    ["ended", "pending", "removed", "revoked"].map((s) => [`session.${s}`, names("data.user")]),
  ),
  "organizationDomain.created": { "data.affiliation_email_address": "email" },
  "organizationDomain.updated": { "data.affiliation_email_address": "email" },
  "organizationInvitation.created": { "data.email_address": "email" },
  "organizationInvitation.accepted": { "data.email_address": "email" },
  "organizationInvitation.revoked": { "data.email_address": "email" },
  ...Object.fromEntries(
    ["created", "deleted", "updated"].map((action) => [
      `organizationMembership.${action}`,
      { "data.public_user_data.identifier": "email" as const, ...names("data.public_user_data") },
    ]),
  ),
  "waitlistEntry.created": { "data.email_address": "email" },
  "waitlistEntry.updated": { "data.email_address": "email", "data.invitation.email_address": "email" },
  ...Object.fromEntries(
    [
      "paymentAttempt.created",
      "paymentAttempt.updated",
      "subscription.active",
      "subscription.created",
      "subscription.pastDue",
      "subscription.updated",
      "subscriptionItem.abandoned",
      "subscriptionItem.active",
      "subscriptionItem.canceled",
      "subscriptionItem.ended",
      "subscriptionItem.freeTrialEnding",
      "subscriptionItem.incomplete",
      "subscriptionItem.pastDue",
      "subscriptionItem.upcoming",
      "subscriptionItem.updated",
    ].map((name) => [name, { "data.payer.email": "email" as const, ...names("data.payer") }]),
  ),
};

export function personalPaths(fixture: string): Record<string, AddressKind> {
  return { "event_attributes.http_request.client_ip": "ip", ...PERSONAL[fixture] };
}
