/**
 * What each listed Clerk object becomes: the event that created it, shaped like the forwarder's rows
 * (lambda/event-row.ts: the redacted Clerk event plus `event_id`, `event_time` and `received_at`),
 * with `origin: "backfill"` so readers can tell the two apart. `data` is the Backend API's JSON of
 * the object (`.raw` of @clerk/backend's resource, not its camelCase fields): Clerk's webhooks carry
 * the same serialisation.
 */
import { CommandError } from "../../command-kit/command-shell";
import { eventRow } from "../../lambda/event-row";
import type { Redactor } from "../../lambda/redaction";

export const KINDS = ["user", "organization", "membership"] as const;
export type Kind = (typeof KINDS)[number];

export const EVENT_TYPE: Record<Kind, string> = {
  user: "user.created",
  organization: "organization.created",
  membership: "organizationMembership.created",
};

/** The `object` field Clerk gives each kind's JSON. */
const OBJECT: Record<Kind, string> = {
  user: "user",
  organization: "organization",
  membership: "organization_membership",
};

export const ORIGIN = "backfill";

/** Deterministic: a re-run writes the same ids, which readers de-duplicate. */
export function backfillEventId(kind: Kind, objectId: string): string {
  return `backfill_${kind}_${objectId}`;
}

export type RawObject = Record<string, unknown>;

/** Checks what the pipes rely on (id, created_at in ms) before anything is written. */
export function checkObject(kind: Kind, raw: unknown): RawObject {
  const object = raw as RawObject | null;
  const id = object?.id;
  if (object === null || typeof object !== "object" || typeof id !== "string" || id === "") {
    throw new CommandError(`Clerk listed a ${kind} without an id: the Backend API's answer changed`);
  }
  if (object.object !== undefined && object.object !== OBJECT[kind]) {
    throw new CommandError(`Clerk listed ${id} as a "${String(object.object)}", not a ${OBJECT[kind]}`);
  }
  if (typeof object.created_at !== "number" || !Number.isFinite(object.created_at)) {
    throw new CommandError(`Clerk listed ${kind} ${id} without a numeric created_at`);
  }
  return object;
}

/** One NDJSON line (no newline) for a listed object, redacted like a live event. */
export function backfillLine(kind: Kind, raw: unknown, redact: Redactor, receivedAt: number): string {
  const data = checkObject(kind, raw);
  const event = {
    data,
    object: "event",
    type: EVENT_TYPE[kind],
    timestamp: data.created_at,
    origin: ORIGIN,
  };
  return JSON.stringify(eventRow(redact(event), backfillEventId(kind, data.id as string), receivedAt));
}
