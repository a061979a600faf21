/**
 * Clerk events for the reliability runs: the repository's 45 fixtures, each copy carrying its own
 * e-mail and IP addresses, so a leak of any one input is traceable to it.
 */
import { listSampleTypes } from "../../local/send";
import { clerkFixture } from "../support/forwarder-stubs";

export const EVENT_TYPES: readonly string[] = listSampleTypes();

const fixtures = new Map(EVENT_TYPES.map((type) => [type, clerkFixture(type)]));

export interface PersonalEvent {
  type: string;
  event: Record<string, unknown>;
  /** The addresses planted in it, for the leak watch. */
  personal: string[];
}

/** Copy `n` of a fixture type, with a distinct e-mail, client IPv4 and IPv6, and a millisecond timestamp. */
export function personalEvent(type: string, n: number, timestampMs: number): PersonalEvent {
  const fixture = fixtures.get(type);
  if (!fixture) throw new Error(`no fixture for ${type}; known: ${EVENT_TYPES.join(", ")}`);
  const email = `rel7.user${n}@example.org`;
  const ipv4 = `203.0.${113 + (n % 3)}.${(n % 250) + 1}`;
  const ipv6 = `2001:db8:7::${(n % 0xffff).toString(16)}`;
  const event = structuredClone(fixture);
  const data = (event.data ?? {}) as Record<string, unknown>;
  event.data = {
    ...data,
    email_addresses: [{ id: `idn_rel7_${n}`, object: "email_address", email_address: email }],
    last_sign_in_ip: ipv6,
  };
  event.event_attributes = { http_request: { client_ip: ipv4, user_agent: `Mozilla/5.0 (rel7 ${n})` } };
  event.timestamp = timestampMs;
  return { type, event, personal: [email, ipv4, ipv6] };
}

/** The fixture type for the `n`th event of a run, cycling through all 45. */
export function typeFor(n: number): string {
  return EVENT_TYPES[n % EVENT_TYPES.length]!;
}
