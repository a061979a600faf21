/**
 * A seeded, realistic history of Clerk webhook events for one application, as the forwarder writes
 * it to Tinybird: sign-ups with their verification strategies and OAuth providers, profile updates
 * (passkeys, 2FA, lockouts), sign-ins and how sessions end, deletions, organizations and their
 * memberships, verification e-mails and SMS with delivery statuses, Clerk Billing subscriptions and
 * payments (synthetic-billing.ts) — plus Svix re-deliveries that repeat an event under the same
 * event_id with a later received_at.
 *
 * `events` is the truth (one entry per Clerk event); `lines` is what Tinybird stores (one NDJSON line
 * per delivery, built by the forwarder's own lambda/event-row.ts). Payload shapes follow
 * test/fixtures/clerk-events; timestamps are milliseconds, as live Clerk sends them.
 */
import { eventRow } from "../lambda/event-row";
import { type BillingCustomer, billingHistory } from "./synthetic-billing";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** The instant the history ends at: "now" for every figure computed over it. */
export const HISTORY_NOW = new Date(Date.UTC(2025, 2, 31, 15, 0, 0));
const HISTORY_START = Date.UTC(2024, 9, 1);

export interface ClerkEvent {
  type: string;
  object: "event";
  instance_id: string;
  timestamp: number;
  data: Record<string, any>;
  event_attributes: { http_request: { client_ip: string; user_agent: string } };
}

/** A delivered event: the Clerk event plus what the forwarder adds. */
export type StoredEvent = ClerkEvent & { event_id: string; received_at: number };

export interface History {
  now: Date;
  /** One entry per Clerk event (its first delivery), sorted by timestamp. */
  events: StoredEvent[];
  /** Every delivery as the forwarder sent it, in arrival order (retries included). */
  lines: string[];
}

export interface HistoryOptions {
  seed?: number;
  users?: number;
  /** Where the history ends (default HISTORY_NOW). */
  now?: Date;
  /** Days of history before `now` (default: from 2024-10-01 to HISTORY_NOW). */
  days?: number;
  /** Share of the users and organizations that subscribe to a paid plan (default 0.15). */
  billingShare?: number;
}

/** mulberry32: small, fast and good enough to make the same history on every machine. */
function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const chance = (p: number) => next() < p;
  const between = (min: number, max: number) => min + next() * (max - min);
  const int = (min: number, max: number) => Math.floor(between(min, max + 1));
  const pick = <T>(weighted: [T, number][]): T => {
    let roll = next() * weighted.reduce((sum, [, w]) => sum + w, 0);
    for (const [value, weight] of weighted) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return weighted.at(-1)![0];
  };
  const exponential = (mean: number) => -Math.log(1 - next()) * mean;
  const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const id = (prefix: string) =>
    `${prefix}_${Array.from({ length: 27 }, () => ALPHABET[Math.floor(next() * 62)]).join("")}`;
  return { next, chance, between, int, pick, exponential, id };
}

type Random = ReturnType<typeof createRandom>;

const INSTANCE_ID = "ins_2g7np7Hrk0SN6kj5EDMLDaKNL0S";
const USER_AGENTS = [
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:129.0) Gecko/20100101 Firefox/129.0",
];
const DEVICES: [{ device_type: string; browser_name: string; is_mobile: boolean }, number][] = [
  [{ device_type: "desktop", browser_name: "Chrome", is_mobile: false }, 50],
  [{ device_type: "iPhone", browser_name: "Safari", is_mobile: true }, 25],
  [{ device_type: "desktop", browser_name: "Firefox", is_mobile: false }, 10],
  [{ device_type: "Android", browser_name: "Chrome", is_mobile: true }, 12],
  [{ device_type: "iPad", browser_name: "Safari", is_mobile: true }, 3],
];

/** How a user signed up: the first e-mail's verification strategy, and the OAuth provider if any. */
const SIGN_UP_STRATEGIES: [string, number][] = [
  ["email_code", 42],
  ["from_oauth_google", 28],
  ["from_oauth_github", 10],
  ["email_link", 12],
  ["ticket", 5],
  ["from_oauth_microsoft", 3],
];
const EMAIL_STATUSES: [string, number][] = [
  ["queued", 86],
  ["sent", 4],
  ["delivered", 3],
  ["failed", 4],
  ["bounced", 3],
];
const SMS_STATUSES: [string, number][] = [
  ["queued", 84],
  ["sent", 5],
  ["delivered", 4],
  ["failed", 4],
  ["undelivered", 3],
];

interface UserState {
  id: string;
  createdAt: number;
  email: string;
  emailId: string;
  strategy: string;
  phoneId?: string;
  profile: Record<string, any>;
  /** When the user stops signing in (the history's end for loyal users). */
  activeUntil: number;
  /** The device most of their sign-ins come from. */
  device: (typeof DEVICES)[number][0];
  deletedAt?: number;
}

class HistoryBuilder {
  readonly events: ClerkEvent[] = [];
  constructor(
    readonly random: Random,
    readonly now: number,
  ) {}

  emit(type: string, timestamp: number, data: Record<string, any>): void {
    if (timestamp > this.now) return;
    const r = this.random;
    this.events.push({
      data,
      event_attributes: {
        http_request: {
          client_ip: `203.0.113.${r.int(1, 254)}`,
          user_agent: USER_AGENTS[r.int(0, USER_AGENTS.length - 1)]!,
        },
      },
      instance_id: INSTANCE_ID,
      object: "event",
      timestamp: Math.round(timestamp),
      type,
    });
  }
}

function verification(strategy: string, at: number) {
  return {
    status: "verified",
    strategy,
    attempts: null,
    expire_at: null,
    verified_at_client: null,
    object: "verification",
    created_at: at,
  };
}

function newUser(r: Random, createdAt: number, index: number): UserState {
  const id = r.id("user");
  const emailId = r.id("idn");
  const email = `user${index}@example.com`;
  const strategy = r.pick(SIGN_UP_STRATEGIES);
  const provider = strategy.startsWith("from_") ? strategy.slice("from_".length) : undefined;
  const phoneId = r.chance(0.2) ? r.id("idn") : undefined;
  const twoFactor = r.chance(0.12);
  const at = Math.round(createdAt);
  const profile: Record<string, any> = {
    object: "user",
    id,
    external_id: null,
    primary_email_address_id: emailId,
    primary_phone_number_id: phoneId ?? null,
    primary_web3_wallet_id: null,
    username: null,
    first_name: "Test",
    last_name: `User ${index}`,
    profile_image_url: "https://img.clerk.com/xxxxxx",
    image_url: "https://img.clerk.com/xxxxxx",
    has_image: false,
    public_metadata: {},
    private_metadata: {},
    unsafe_metadata: {},
    email_addresses: [
      {
        id: emailId,
        object: "email_address",
        email_address: email,
        reserved: false,
        linked_to: [],
        verification: verification(strategy, at),
        created_at: at,
        updated_at: at,
      },
    ],
    phone_numbers: phoneId
      ? [
          {
            id: phoneId,
            object: "phone_number",
            phone_number: `+1555${String(index).padStart(7, "0")}`,
            reserved_for_second_factor: false,
            default_second_factor: false,
            linked_to: [],
            verification: verification("phone_code", at),
            created_at: at,
            updated_at: at,
          },
        ]
      : [],
    web3_wallets: r.chance(0.02)
      ? [
          {
            id: r.id("idn"),
            object: "web3_wallet",
            web3_wallet: `0x${index.toString(16).padStart(40, "0")}`,
            verification: verification("web3_metamask_signature", at),
          },
        ]
      : [],
    passkeys: [],
    password_enabled: provider ? r.chance(0.15) : strategy !== "email_link" || r.chance(0.3),
    two_factor_enabled: twoFactor,
    totp_enabled: twoFactor && r.chance(0.75),
    backup_code_enabled: twoFactor && r.chance(0.5),
    mfa_enabled_at: twoFactor ? at : null,
    mfa_disabled_at: null,
    external_accounts: provider
      ? [
          {
            id: r.id("idn"),
            object: "external_account",
            provider,
            identification_id: emailId,
            provider_user_id: String(100000 + index),
            approved_scopes: "email profile",
            email_address: email,
            first_name: "Test",
            last_name: `User ${index}`,
            username: null,
            label: null,
            verification: verification(provider, at),
            created_at: at,
            updated_at: at,
          },
        ]
      : [],
    saml_accounts: [],
    enterprise_accounts: r.chance(0.03)
      ? [
          {
            id: r.id("eac"),
            object: "enterprise_account",
            provider: "saml_okta",
            active: true,
            email_address: email,
          },
        ]
      : [],
    last_sign_in_at: at,
    banned: false,
    locked: false,
    lockout_expires_in_seconds: null,
    verification_attempts_remaining: 100,
    updated_at: at,
    created_at: at,
    delete_self_enabled: true,
    create_organization_enabled: true,
    create_organizations_limit: null,
    last_active_at: at,
    legal_accepted_at: null,
  };
  if (r.chance(0.06))
    profile.passkeys.push({
      id: r.id("pk"),
      object: "passkey",
      name: "iCloud Keychain",
      last_used_at: at,
      verification: verification("passkey", at),
    });
  // Most users drift away after a while (churn); a third keeps signing in until the end.
  const activeUntil = r.chance(0.33) ? Number.POSITIVE_INFINITY : createdAt + r.exponential(55 * DAY);
  return { id, createdAt, email, emailId, strategy, phoneId, profile, activeUntil, device: r.pick(DEVICES) };
}

function sendEmail(h: HistoryBuilder, user: UserState, at: number, slug: string): void {
  const r = h.random;
  h.emit("email.created", at, {
    object: "email",
    id: r.id("ema"),
    slug,
    from_email_name: "notifications",
    to_email_address: user.email,
    email_address_id: user.emailId,
    user_id: user.id,
    subject: "Your verification code",
    body: "<p>Your verification code is 123456</p>",
    body_plain: "Your verification code is 123456",
    status: r.pick(EMAIL_STATUSES),
    data: { app: { name: "Acme" } },
    delivered_by_clerk: true,
  });
}

function sendSms(h: HistoryBuilder, user: UserState, at: number): void {
  const r = h.random;
  h.emit("sms.created", at, {
    object: "sms_message",
    id: r.id("sms"),
    slug: "verification_code",
    from_phone_number: "+12345678901",
    to_phone_number: user.profile.phone_numbers[0].phone_number,
    phone_number_id: user.phoneId,
    user_id: user.id,
    message: "Your verification code is 123456",
    status: r.pick(SMS_STATUSES),
    data: {},
    delivered_by_clerk: true,
    created_at: Math.round(at),
  });
}

function sessionData(
  user: UserState,
  sessionId: string,
  status: string,
  createdAt: number,
  at: number,
  activity: object | null,
) {
  return {
    object: "session",
    id: sessionId,
    user_id: user.id,
    user: user.profile,
    client_id: `client_${sessionId.slice(5)}`,
    actor: null,
    status,
    last_active_organization_id: null,
    last_active_at: Math.round(at),
    latest_activity: activity,
    expire_at: Math.round(createdAt + 7 * DAY),
    abandon_at: Math.round(createdAt + 30 * DAY),
    updated_at: Math.round(at),
    created_at: Math.round(createdAt),
  };
}

/** Sign-ins until the user drifts away, each ending as Clerk reports sessions ending. */
function signIns(h: HistoryBuilder, user: UserState): void {
  const r = h.random;
  const until = Math.min(user.activeUntil, user.deletedAt ?? Number.POSITIVE_INFINITY, h.now);
  const perWeek = r.between(0.3, 1.6);
  let at = user.createdAt + 2_000;
  for (let count = 0; at < until && count < 30; count++) {
    const sessionId = r.id("sess");
    const device = r.chance(0.8) ? user.device : r.pick(DEVICES);
    const activity = {
      object: "session_activity",
      id: r.id("sess_activity"),
      ...device,
      browser_version: "128.0.0.0",
      ip_address: "203.0.113.7",
      city: "Lisbon",
      country: "PT",
    };
    if (r.chance(0.04))
      h.emit(
        "session.pending",
        at - 1_500,
        sessionData(user, sessionId, "pending", at - 1_500, at - 1_500, activity),
      );
    h.emit("session.created", at, sessionData(user, sessionId, "active", at, at, activity));
    if (count > 0 && user.strategy === "email_code" && r.chance(0.3))
      sendEmail(h, user, at - 30_000, "verification_code");
    if (count > 0 && user.phoneId && r.chance(0.25)) sendSms(h, user, at - 20_000);
    const ending = r.pick<string | undefined>([
      ["session.ended", 55],
      ["session.removed", 9],
      ["session.revoked", 6],
      [undefined, 30],
    ]);
    const endAt = at + r.between(5 * MINUTE, 10 * HOUR);
    if (ending && endAt < until) {
      h.emit(ending, endAt, sessionData(user, sessionId, ending.slice("session.".length), at, endAt, null));
    }
    at += r.exponential((7 * DAY) / perWeek) + r.between(MINUTE, HOUR);
  }
}

/** Later profile changes: a passkey, 2FA switched on, a lockout after failed attempts and its end. */
function profileUpdates(h: HistoryBuilder, user: UserState): void {
  const r = h.random;
  const end = Math.min(user.deletedAt ?? h.now, h.now);
  let at = user.createdAt;
  const updates = r.chance(0.35) ? r.int(1, 3) : 0;
  for (let i = 0; i < updates; i++) {
    at += r.between(HOUR, 20 * DAY);
    if (at >= end) return;
    const profile = structuredClone(user.profile);
    profile.locked = false;
    profile.lockout_expires_in_seconds = null;
    const change = r.pick([
      ["passkey", 35],
      ["two_factor", 25],
      ["locked", 12],
      ["name", 28],
    ]);
    if (change === "passkey")
      profile.passkeys.push({
        id: r.id("pk"),
        object: "passkey",
        name: "Windows Hello",
        last_used_at: Math.round(at),
        verification: verification("passkey", Math.round(at)),
      });
    if (change === "two_factor")
      Object.assign(profile, {
        two_factor_enabled: true,
        totp_enabled: true,
        mfa_enabled_at: Math.round(at),
      });
    if (change === "locked")
      Object.assign(profile, {
        locked: true,
        lockout_expires_in_seconds: 1800,
        verification_attempts_remaining: 0,
      });
    if (change === "name") profile.first_name = "Renamed";
    profile.updated_at = Math.round(at);
    user.profile = profile;
    h.emit("user.updated", at, profile);
  }
}

function membershipData(
  r: Random,
  org: { id: string; name: string; createdBy: string },
  userId: string,
  role: string,
  at: number,
) {
  return {
    object: "organization_membership",
    id: r.id("orgmem"),
    role,
    role_name: role === "org:admin" ? "Admin" : "Member",
    permissions: [],
    public_metadata: {},
    private_metadata: {},
    organization: {
      object: "organization",
      id: org.id,
      name: org.name,
      slug: org.name.toLowerCase().replace(/\s+/g, "-"),
      created_by: org.createdBy,
      created_at: Math.round(at),
      updated_at: Math.round(at),
    },
    public_user_data: {
      user_id: userId,
      first_name: "Test",
      last_name: "User",
      image_url: "https://img.clerk.com/yyyyy",
      has_image: false,
      identifier: `${userId}@example.com`,
    },
    created_at: Math.round(at),
    updated_at: Math.round(at),
  };
}

/** Organizations created by some users, members joining and leaving, a few organizations deleted. */
function organizations(h: HistoryBuilder, users: UserState[]): void {
  const r = h.random;
  const alive = (u: UserState, at: number) =>
    u.createdAt < at && (u.deletedAt ?? Number.POSITIVE_INFINITY) > at;
  for (const founder of users) {
    if (!r.chance(0.12)) continue;
    const createdAt = founder.createdAt + r.between(HOUR, 30 * DAY);
    if (createdAt >= Math.min(h.now, founder.deletedAt ?? h.now)) continue;
    const org = { id: r.id("org"), name: `Org ${founder.profile.last_name}`, createdBy: founder.id };
    h.emit("organization.created", createdAt, {
      object: "organization",
      id: org.id,
      name: org.name,
      slug: org.name.toLowerCase().replace(/\s+/g, "-"),
      image_url: "https://img.clerk.com/xxxxxx",
      has_image: false,
      members_count: 1,
      missing_member_with_elevated_permissions: false,
      pending_invitations_count: 0,
      max_allowed_memberships: 5,
      admin_delete_enabled: true,
      public_metadata: {},
      private_metadata: {},
      created_by: founder.id,
      created_at: Math.round(createdAt),
      updated_at: Math.round(createdAt),
    });
    const members: { data: ReturnType<typeof membershipData>; at: number }[] = [];
    const join = (userId: string, role: string, at: number) => {
      const data = membershipData(r, org, userId, role, at);
      h.emit("organizationMembership.created", at, data);
      members.push({ data, at });
    };
    join(founder.id, "org:admin", createdAt + 1_000);
    const deletedAt = r.chance(0.15) ? createdAt + r.between(5 * DAY, 120 * DAY) : Number.POSITIVE_INFINITY;
    for (let i = r.int(0, 6); i > 0; i--) {
      const at = createdAt + r.between(HOUR, 90 * DAY);
      const member = users[r.int(0, users.length - 1)]!;
      if (at < deletedAt && alive(member, at) && member !== founder) join(member.id, "org:member", at);
    }
    const remaining = members.filter((m) => {
      const leftAt = m.at + r.between(DAY, 100 * DAY);
      if (m.data.role === "org:member" && r.chance(0.25) && leftAt < deletedAt) {
        h.emit("organizationMembership.deleted", leftAt, { ...m.data, updated_at: Math.round(leftAt) });
        return false;
      }
      return true;
    });
    if (deletedAt < h.now) {
      h.emit("organization.deleted", deletedAt, {
        object: "organization",
        id: org.id,
        slug: org.name.toLowerCase().replace(/\s+/g, "-"),
        deleted: true,
      });
      for (const m of remaining) {
        if (m.at < deletedAt)
          h.emit("organizationMembership.deleted", deletedAt + 500, {
            ...m.data,
            updated_at: Math.round(deletedAt + 500),
          });
      }
    }
  }
}

/** Who can pay: users never deleted, and the organizations still there at the end (their founder's e-mail). */
function billingCustomers(h: HistoryBuilder, users: UserState[]): BillingCustomer[] {
  const byId = new Map(users.map((u) => [u.id, u]));
  const deleted = new Set(h.events.filter((e) => e.type === "organization.deleted").map((e) => e.data.id));
  const organizations = h.events
    .filter((e) => e.type === "organization.created" && !deleted.has(e.data.id))
    .flatMap((e) => {
      const founder = byId.get(e.data.created_by);
      if (!founder || founder.deletedAt !== undefined) return [];
      return [{ founder, id: e.data.id as string, name: e.data.name as string, since: e.timestamp }];
    });
  return [
    ...users
      .filter((u) => u.deletedAt === undefined)
      .map((u) => ({
        userId: u.id,
        email: u.email,
        firstName: u.profile.first_name as string,
        lastName: u.profile.last_name as string,
        since: u.createdAt,
      })),
    ...organizations.map((o) => ({
      userId: o.founder.id,
      organizationId: o.id,
      organizationName: o.name,
      email: o.founder.email,
      firstName: "",
      lastName: "",
      since: o.since,
    })),
  ];
}

/**
 * Svix delivers each event at least once: a failed attempt is retried later with the same svix-id.
 * No delivery arrives after `now`, the history's end: one due later arrives at `now` (the stable
 * sort keeps it after the deliveries before it).
 */
function deliveries(
  r: Random,
  events: ClerkEvent[],
  now: number,
): { events: StoredEvent[]; lines: string[] } {
  const stored: StoredEvent[] = [];
  const all: StoredEvent[] = [];
  for (const event of events) {
    const firstAt = event.timestamp + r.int(40, 2_500);
    const first: StoredEvent = { ...event, event_id: r.id("msg"), received_at: Math.min(firstAt, now) };
    stored.push(first);
    all.push(first);
    const retries = r.chance(0.05) ? (r.chance(0.2) ? 2 : 1) : 0;
    for (let i = 1; i <= retries; i++) {
      all.push({ ...first, received_at: Math.min(firstAt + i * r.int(5_000, 6 * HOUR), now) });
    }
  }
  all.sort((a, b) => a.received_at - b.received_at);
  return {
    events: stored,
    lines: all.map(({ event_id, received_at, ...event }) =>
      JSON.stringify(eventRow(event, event_id, received_at)),
    ),
  };
}

/** Generates the same history for the same options on every machine. */
export function generateHistory(options: HistoryOptions = {}): History {
  const r = createRandom(options.seed ?? 20250331);
  const count = options.users ?? 1200;
  const now = (options.now ?? HISTORY_NOW).getTime();
  const start = options.days !== undefined ? now - options.days * DAY : HISTORY_START;
  const h = new HistoryBuilder(r, now);
  const span = now - start;
  const users: UserState[] = [];
  for (let i = 0; i < count; i++) {
    // Sign-ups accelerate over time: a growing product.
    const createdAt = start + span * Math.sqrt(r.next());
    const user = newUser(r, createdAt, i);
    if (user.activeUntil < now && r.chance(0.2))
      user.deletedAt = user.activeUntil + r.between(HOUR, 25 * DAY);
    users.push(user);
  }
  users.sort((a, b) => a.createdAt - b.createdAt);
  for (const user of users) {
    h.emit("user.created", user.createdAt, structuredClone(user.profile));
    if (user.strategy === "email_code" || user.strategy === "email_link") {
      sendEmail(
        h,
        user,
        user.createdAt - 60_000,
        user.strategy === "email_code" ? "verification_code" : "magic_link_sign_up",
      );
    }
    if (user.phoneId) sendSms(h, user, user.createdAt - 50_000);
    profileUpdates(h, user);
    signIns(h, user);
    if (user.deletedAt !== undefined)
      h.emit("user.deleted", user.deletedAt, { object: "user", id: user.id, deleted: true });
  }
  organizations(h, users);
  billingHistory(
    { random: r, emit: (type, at, data) => h.emit(type, at, data), now, instanceId: INSTANCE_ID },
    billingCustomers(h, users),
    options.billingShare,
  );
  h.events.sort((a, b) => a.timestamp - b.timestamp);
  const { events, lines } = deliveries(r, h.events, now);
  return { now: new Date(now), events, lines };
}
