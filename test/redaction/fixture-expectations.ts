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
};

export type AddressKind = "email" | "phone" | "ip";

/** Path → kind of the personal data pseudonymised when a key is set (besides the client IP of every event). */
export const PERSONAL: Readonly<Record<string, Readonly<Record<string, AddressKind>>>> = {
  "email.created": { "data.to_email_address": "email" },
  "sms.created": { "data.to_phone_number": "phone" }, // from_phone_number is the sender's: kept
  "session.created": { "data.latest_activity.ip_address": "ip" },
  "organizationDomain.created": { "data.affiliation_email_address": "email" },
  "organizationDomain.updated": { "data.affiliation_email_address": "email" },
  "organizationInvitation.created": { "data.email_address": "email" },
  "organizationInvitation.accepted": { "data.email_address": "email" },
  "organizationInvitation.revoked": { "data.email_address": "email" },
  "organizationMembership.created": { "data.public_user_data.identifier": "email" },
  "organizationMembership.deleted": { "data.public_user_data.identifier": "email" },
  "organizationMembership.updated": { "data.public_user_data.identifier": "email" },
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
    ].map((name) => [name, { "data.payer.email": "email" as const }]),
  ),
};

export function personalPaths(fixture: string): Record<string, AddressKind> {
  return { "event_attributes.http_request.client_ip": "ip", ...PERSONAL[fixture] };
}
