/**
 * Pages of users, organizations and organization memberships from Clerk's Backend API through
 * @clerk/backend, oldest first (`+created_at`, so sign-ups during the run land on later pages instead
 * of shifting earlier ones), within the instance's request budget, retrying 429 after its
 * Retry-After and 5xx with backoff.
 */
import { createClerkClient } from "@clerk/backend";
import { answered, call, type Failure, type Step } from "../../clerk-access/failures";
import type { Clock } from "../clock";
import { type RateLimit, RequestBudget } from "../rate-limit";
import type { Kind } from "./events";

/** Clerk's largest page. */
export const PAGE_SIZE = 500;

export interface Page {
  items: unknown[];
  /** How many objects of the kind the instance holds, as Clerk counts them now. */
  totalCount: number;
  /** Clerk said the instance has organizations turned off: there is nothing of the kind to list. */
  disabled?: true;
}

export interface ClerkLists {
  /** Objects per page; a shorter page is the last. */
  pageSize: number;
  page(kind: Kind, offset: number): Promise<Page>;
}

/** Clerk's documented limits: 100 requests per 10 s on development instances, 1,000 on production. */
export function clerkLimit(secretKey: string): RateLimit {
  return { limit: secretKey.startsWith("sk_live_") ? 1_000 : 100, windowMs: 10_000 };
}

/**
 * The share of the limit the backfill takes: the application's own Backend API calls count against
 * the same instance limit while it runs.
 */
export const CLERK_SHARE = 0.9;

export interface ClerkListsOptions {
  secretKey: string;
  apiUrl: string;
  clock: Clock;
  /** Tries per page, the first included. */
  attempts?: number;
  /** Objects per page (tests use small pages to make many requests); at most PAGE_SIZE. */
  pageSize?: number;
}

export function createClerkLists(options: ClerkListsOptions): ClerkLists {
  const client = createClerkClient({
    secretKey: options.secretKey,
    apiUrl: options.apiUrl,
    telemetry: { disabled: true },
  });
  const limit = clerkLimit(options.secretKey);
  const budget = new RequestBudget(
    { limit: Math.floor(limit.limit * CLERK_SHARE), windowMs: limit.windowMs },
    options.clock,
  );
  const policy = {
    attempts: options.attempts ?? 8,
    baseDelayMs: 1_000,
    // A 429's Retry-After is honoured up to a full window; Clerk's windows are 10 s.
    maxDelayMs: 60_000,
    sleep: options.clock.sleep,
  };
  const fix = clerkListFix(options.apiUrl);
  // The JSON as Clerk sent it, which is what its webhooks carry; the classes' camelCase fields are not.
  const raw = (resource: { raw: unknown }): unknown => resource.raw;
  const pageSize = Math.min(PAGE_SIZE, options.pageSize ?? PAGE_SIZE);
  const query = (offset: number) => ({ limit: pageSize, offset, orderBy: "+created_at" as const });

  const fetchPage: Record<Kind, (offset: number) => Promise<Page>> = {
    user: async (offset) => {
      // getUserList asks for the page and the count at once: two requests.
      await budget.take(2);
      const { data, totalCount } = await client.users.getUserList(query(offset));
      return { items: data.map(raw), totalCount };
    },
    organization: async (offset) => {
      await budget.take();
      const { data, totalCount } = await client.organizations.getOrganizationList(query(offset));
      return { items: data.map(raw), totalCount };
    },
    membership: async (offset) => {
      await budget.take();
      const { data, totalCount } = await client.organizations.getInstanceOrganizationMembershipList(
        query(offset),
      );
      return { items: data.map(raw), totalCount };
    },
  };

  return {
    pageSize,
    async page(kind, offset) {
      const step: Step = { service: "Clerk", action: `list ${PATH[kind]} from offset ${offset}`, fix };
      try {
        return await call(step, () => fetchPage[kind](offset), policy);
      } catch (error) {
        if (kind !== "user" && answered(error, 403, ORGANIZATIONS_OFF)) {
          return { items: [], totalCount: 0, disabled: true };
        }
        throw error;
      }
    },
  };
}

/** Clerk's 403 code for an instance without the organizations feature. */
const ORGANIZATIONS_OFF = "organization_not_enabled_in_instance";

const PATH: Record<Kind, string> = {
  user: "users (GET /v1/users)",
  organization: "organizations (GET /v1/organizations)",
  membership: "organization memberships (GET /v1/organization_memberships)",
};

function clerkListFix(apiUrl: string): (failure: Failure) => string {
  return (failure) => {
    if (failure.status === undefined)
      return `Check this machine's network access to ${apiUrl} (CLERK_API_URL)`;
    if (failure.status === 429) {
      return "Clerk kept rate-limiting: the application's own Backend API calls share the instance's limit; wait a few minutes";
    }
    if (failure.status >= 500) return "Clerk is having trouble (status.clerk.com): try again later";
    if (failure.status === 401) {
      return "CLERK_SECRET_KEY is wrong or revoked: copy the secret key of the stack's instance from the Clerk dashboard → API keys";
    }
    if (failure.status === 403) {
      return "The key may not list this instance's users and organizations: use a secret key of the stack's instance";
    }
    if (failure.status === 404) {
      return `${apiUrl} does not serve Clerk's Backend API v1: leave CLERK_API_URL unset to use https://api.clerk.com`;
    }
    return "Clerk refused the request: check the instance in the Clerk dashboard (organizations must be enabled to list them)";
  };
}
