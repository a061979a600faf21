/**
 * A Clerk instance's existing users, organizations and memberships as the Backend API serialises
 * them, built from the webhook fixtures' `data` (the same serialisation), with distinct ids, emails
 * and creation times spread over `days` from `start`.
 */
import type { FakeDirectory } from "./clerk-svix-fake";
import { clerkFixture } from "./forwarder-stubs";

export interface DirectorySize {
  users: number;
  organizations: number;
  memberships: number;
  start?: number;
  days?: number;
}

const DAY = 86_400_000;
const dataOf = (type: string) => clerkFixture(type).data as Record<string, unknown>;

export function makeDirectory(size: DirectorySize): FakeDirectory {
  const start = size.start ?? Date.UTC(2024, 0, 1);
  const span = (size.days ?? 400) * DAY;
  const at = (i: number, n: number) => start + Math.floor((span * i) / Math.max(1, n));
  const user = dataOf("user.created");
  const organization = dataOf("organization.created");
  const membership = dataOf("organizationMembership.created");

  const users = Array.from({ length: size.users }, (_, i) => ({
    ...user,
    id: `user_${String(i).padStart(6, "0")}`,
    first_name: `First${i}`,
    email_addresses: [
      {
        id: `idn_${i}`,
        object: "email_address",
        email_address: `person${i}@example.com`,
        reserved: false,
        verification: { status: "verified", strategy: "email_code", attempts: 1, expire_at: null },
        linked_to: [],
        matches_sso_connection: false,
        created_at: at(i, size.users),
        updated_at: at(i, size.users),
      },
    ],
    primary_email_address_id: `idn_${i}`,
    private_metadata: { plan: "internal" },
    created_at: at(i, size.users),
    updated_at: at(i, size.users),
  }));
  const organizations = Array.from({ length: size.organizations }, (_, i) => ({
    ...organization,
    id: `org_${String(i).padStart(6, "0")}`,
    name: `Org ${i}`,
    slug: `org-${i}`,
    created_at: at(i, size.organizations),
    updated_at: at(i, size.organizations),
  }));
  const memberships = Array.from({ length: size.memberships }, (_, i) => {
    const org = organizations[i % Math.max(1, organizations.length)] ?? organization;
    const member = users[i % Math.max(1, users.length)] ?? user;
    return {
      ...membership,
      id: `orgmem_${String(i).padStart(6, "0")}`,
      organization: org,
      public_user_data: {
        ...(membership.public_user_data as object),
        user_id: member.id,
        identifier: `person${i % Math.max(1, users.length)}@example.com`,
      },
      created_at: Math.max(Number(org.created_at), Number(member.created_at)) + 1_000,
      updated_at: Math.max(Number(org.created_at), Number(member.created_at)) + 1_000,
    };
  });
  return { users, organizations, memberships };
}

/** A clock tests move by hand: `sleep` advances it at once, so hours of waits take no time. */
export class VirtualClock {
  constructor(public t: number = Date.UTC(2026, 0, 15, 12)) {}
  readonly now = (): number => this.t;
  readonly sleep = async (ms: number): Promise<void> => {
    this.t += Math.max(0, ms);
    await Promise.resolve();
  };
}

/** The most request times any window of `windowMs` holds (windows start at each request). */
export function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}
