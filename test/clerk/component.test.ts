import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ClerkWebhookEndpoint, instanceKind } from "../../infra/components/clerk-webhook-endpoint";
import { readDesiredSettings } from "../../infra/provisioning/clerk/config";
import { installMocks, isSecret, only, unwrap } from "../support/pulumi-mocks";

/** The endpoint checks `pulumi up` ran (invokes of `command:local:run`), by webhook URL. */
const checks = new Map<string, Record<string, any>>();
/** A webhook URL whose endpoint the check finds disabled (and enables again). */
const DISABLED_URL = "https://disabled.example.com/webhooks/clerk";
const LAST_DELIVERED = "2026-01-10T08:00:00.000Z";

const COMMAND = "command:local:Command";
const KEY = "sk_test_componentKey0123456789";
const UID = "clerk-tinybird.clerk-tinybird.dev";
const CLI = "npm run --silent provision -- infra/provisioning/clerk/cli.ts";

const { resources } = installMocks({
  state: ({ type, inputs }) => {
    if (type === "test:index:Api")
      return { apiEndpoint: "https://abc123.execute-api.eu-west-1.amazonaws.com" };
    if (type === COMMAND) {
      const stdout = JSON.stringify({
        appId: "app_mock",
        endpointId: `ep_for_${inputs.environment.WEBHOOK_URL.length}`,
        signingSecret: "whsec_mockSecret",
        uid: inputs.environment.ENDPOINT_UID,
        owner: "o1",
      });
      return { stdout };
    }
    return {};
  },
  call: (token, inputs) => {
    if (token !== "command:local:run") throw new Error(`unexpected call to ${token}`);
    checks.set(inputs.environment.WEBHOOK_URL, inputs);
    const endpoint = { uid: inputs.environment.ENDPOINT_UID, endpointId: "ep_1" };
    const result =
      inputs.environment.WEBHOOK_URL === DISABLED_URL
        ? {
            state: "repaired",
            ...endpoint,
            repaired: ["disabled"],
            reenabled: { lastDelivered: LAST_DELIVERED, since: LAST_DELIVERED },
          }
        : { state: "ok", ...endpoint };
    return { stdout: JSON.stringify(result), stderr: "" };
  },
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Dependencies each registration declared (URNs), read off the mock monitor's requests. */
const dependencies = new Map<string, string[]>();
const monitor = pulumi.runtime.getMonitor() as unknown as {
  registerResource: (req: { getName(): string; getDependenciesList(): string[] }, cb: unknown) => unknown;
};
const register = monitor.registerResource.bind(monitor);
monitor.registerResource = (req, cb) => {
  dependencies.set(req.getName(), req.getDependenciesList());
  return register(req, cb);
};

/** Stands in for the stack's HTTP API: its URL is an output known only after it exists. */
class Api extends pulumi.CustomResource {
  declare readonly apiEndpoint: pulumi.Output<string>;
  constructor(name: string) {
    super("test:index:Api", name, { apiEndpoint: undefined });
  }
}

describe("ClerkWebhookEndpoint with a Clerk secret key", () => {
  it("runs the registration CLI with every credential in a secret environment, never in a command string", async () => {
    const api = new Api("api");
    const url = pulumi.interpolate`${api.apiEndpoint}/webhooks/clerk`;
    const endpoint = new ClerkWebhookEndpoint("clerk", {
      url,
      secretKey: pulumi.secret(KEY),
      eventTypes: ["user.deleted", "user.created", "user.deleted"],
      signingSecret: undefined,
    });
    await unwrap(endpoint.endpointId);

    const cmd = only(resources, COMMAND, "clerk-register");
    expect(cmd.inputs).toMatchObject({
      create: `${CLI} create`,
      update: `${CLI} update`,
      delete: `${CLI} delete`,
      // stdout (the signing secret) is never logged; stderr (messages, destroy's warnings) is.
      logging: "stderr",
    });
    for (const op of ["create", "update", "delete"]) expect(cmd.inputs[op]).not.toContain(KEY);
    // Stored in the state: no checkout path, so any clone can destroy the stack.
    expect(cmd.inputs.dir).toBeUndefined();
    expect(cmd.inputs.environment).toEqual({
      CLERK_SECRET_KEY: KEY,
      CLERK_API_URL: "https://api.clerk.com",
      WEBHOOK_URL: "https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/clerk",
      EVENT_TYPES: "user.created,user.deleted",
      ENDPOINT_UID: UID,
      DESCRIPTION: "clerk-tinybird: Clerk events to Tinybird for stack dev (project clerk-tinybird)",
      COMMAND_NAME: "clerk-register",
      STACK_NAME: "dev",
    });
    expect(cmd.secretInputs).toContain("environment");
    expect(cmd.secretInputs).not.toContain("create");
  });

  it("sets an environment the command's own reader reads back as the endpoint it was given", async () => {
    const endpoint = new ClerkWebhookEndpoint("read-back", {
      url: "https://example.com/webhooks/clerk",
      secretKey: pulumi.secret(KEY),
      clerkApiUrl: "https://api.clerk.com/",
      svixServerUrl: "https://api.eu.svix.com/",
      signingSecret: undefined,
      eventTypes: ["user.deleted", "session.created", "user.deleted"],
    });
    await unwrap(endpoint.endpointId);
    const { environment } = only(resources, COMMAND, "read-back-register").inputs;
    expect(readDesiredSettings(environment)).toEqual({
      secretKey: KEY,
      clerkApiUrl: "https://api.clerk.com",
      svixServerUrl: "https://api.eu.svix.com",
      uid: UID,
      commandName: "read-back-register",
      stack: "dev",
      previous: {},
      url: "https://example.com/webhooks/clerk",
      eventTypes: ["session.created", "user.deleted"],
      description: "clerk-tinybird: Clerk events to Tinybird for stack dev (project clerk-tinybird)",
    });
  });

  it("depends on the resource that provides the webhook URL", async () => {
    const api = new Api("api-order");
    const endpoint = new ClerkWebhookEndpoint("ordered", {
      url: pulumi.interpolate`${api.apiEndpoint}/webhooks/clerk`,
      secretKey: KEY,
      signingSecret: undefined,
      eventTypes: [],
    });
    await unwrap(endpoint.endpointId);

    expect(dependencies.get("ordered-register")).toEqual([await unwrap(api.urn)]);
    expect(only(resources, COMMAND, "ordered-register").inputs.environment.WEBHOOK_URL).toBe(
      "https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/clerk",
    );
  });

  it("replaces only for another endpoint identity (uid, Clerk API, instance kind), so URL and events update in place", async () => {
    const endpoint = new ClerkWebhookEndpoint("triggers", {
      url: "https://example.com/webhooks/clerk",
      secretKey: pulumi.secret("sk_live_productionKey0123456789"),
      clerkApiUrl: "https://api.clerk.com/",
      signingSecret: undefined,
      eventTypes: [],
    });
    await unwrap(endpoint.endpointId);

    const cmd = only(resources, COMMAND, "triggers-register");
    expect(cmd.inputs.triggers).toEqual([UID, "https://api.clerk.com", "production"]);
    expect(cmd.secretInputs).not.toContain("triggers");
    expect(JSON.stringify(cmd.inputs.triggers)).not.toContain("productionKey");
  });

  it("passes an explicit Svix API URL to the command", async () => {
    const endpoint = new ClerkWebhookEndpoint("svix-override", {
      url: "https://example.com/webhooks/clerk",
      secretKey: KEY,
      clerkApiUrl: "http://127.0.0.1:9",
      svixServerUrl: "http://127.0.0.1:10",
      signingSecret: undefined,
      eventTypes: [],
    });
    await unwrap(endpoint.endpointId);

    expect(only(resources, COMMAND, "svix-override-register").inputs.environment).toMatchObject({
      CLERK_API_URL: "http://127.0.0.1:9",
      SVIX_SERVER_URL: "http://127.0.0.1:10",
    });
  });

  it("outputs the endpoint id in the clear and the signing secret as a secret", async () => {
    const endpoint = new ClerkWebhookEndpoint("outputs", {
      url: "https://example.com/webhooks/clerk",
      secretKey: pulumi.secret(KEY),
      signingSecret: undefined,
      eventTypes: [],
    });

    expect(await unwrap(endpoint.endpointId)).toBe(`ep_for_${"https://example.com/webhooks/clerk".length}`);
    expect(await isSecret(endpoint.endpointId)).toBe(false);
    expect(await unwrap(endpoint.signingSecret)).toBe("whsec_mockSecret");
    expect(await isSecret(endpoint.signingSecret)).toBe(true);
  });
});

describe("ClerkWebhookEndpoint on every pulumi up", () => {
  it("checks the endpoint after registering it, with the registration's environment, whether or not an input changed", async () => {
    const url = "https://checked.example.com/webhooks/clerk";
    const endpoint = new ClerkWebhookEndpoint("checked", {
      url,
      secretKey: pulumi.secret(KEY),
      signingSecret: undefined,
      eventTypes: ["user.created"],
    });
    await unwrap(endpoint.endpointId);
    await vi.waitFor(() => expect(checks.get(url)).toBeDefined());

    const cmd = only(resources, COMMAND, "checked-register");
    expect(checks.get(url)).toMatchObject({
      command: `${CLI} check || exit 0`,
      environment: cmd.inputs.environment,
      addPreviousOutputInEnv: false,
      logging: "none",
    });
    expect(cmd.inputs.environment).toMatchObject({ CLERK_SECRET_KEY: KEY, STACK_NAME: "dev" });
    // Nothing per run among the command's inputs: a preview shows no change when nothing changed.
    expect(JSON.stringify(cmd.inputs)).not.toMatch(/\d{4}-\d\d-\d\dT/);
  });

  it("warns, with the reconcile command for the time it was off, when the check enabled a disabled endpoint", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const endpoint = new ClerkWebhookEndpoint("was-disabled", {
      url: DISABLED_URL,
      secretKey: KEY,
      signingSecret: undefined,
      eventTypes: [],
    });
    await unwrap(endpoint.endpointId);
    await vi.waitFor(() => expect(warn).toHaveBeenCalled());

    const message = String(warn.mock.calls[0]![0]);
    expect(message).toMatch(
      /endpoint clerk-tinybird\.clerk-tinybird\.dev was disabled .* and is enabled again/,
    );
    expect(message).toContain(`last successful delivery was at ${LAST_DELIVERED}`);
    expect(message).toContain(`npm run reconcile -- --stack dev --since ${LAST_DELIVERED} --repair`);
    expect(message).not.toContain(KEY);
  });
});

describe("ClerkWebhookEndpoint in manual mode", () => {
  it("gives the dashboard steps to check the endpoint by hand on every pulumi up", async () => {
    const info = vi.spyOn(console, "log").mockImplementation(() => {});
    const endpoint = new ClerkWebhookEndpoint("manual-steps", {
      url: "https://manual-steps.example.com/webhooks/clerk",
      signingSecret: "whsec_fromTheDashboard",
      secretKey: undefined,
      eventTypes: [],
    });
    await unwrap(endpoint.endpointId);

    const said = info.mock.calls.map((c) => String(c[0])).join("\n");
    expect(said).toMatch(/Manual mode: .*Clerk dashboard → Webhooks.*enabled/);
    expect(said).toContain("npm run reconcile -- --stack dev --since <when it stopped> --repair");
    expect(checks.has("https://manual-steps.example.com/webhooks/clerk")).toBe(false);
  });

  it("creates no command and passes the dashboard endpoint's signing secret on as a secret", async () => {
    const endpoint = new ClerkWebhookEndpoint("manual", {
      url: "https://example.com/webhooks/clerk",
      signingSecret: "whsec_fromTheDashboard",
      secretKey: undefined,
      eventTypes: [],
    });
    // A later automatic endpoint whose command has registered proves the queue has drained.
    const later = new ClerkWebhookEndpoint("after-manual", {
      url: "https://example.com/webhooks/clerk",
      secretKey: KEY,
      signingSecret: undefined,
      eventTypes: [],
    });
    await unwrap(later.endpointId);

    expect(await unwrap(endpoint.endpointId)).toBe("manual");
    expect(await unwrap(endpoint.signingSecret)).toBe("whsec_fromTheDashboard");
    expect(await isSecret(endpoint.signingSecret)).toBe(true);
    expect(resources.filter((r) => r.type === COMMAND && r.name.startsWith("manual"))).toEqual([]);
  });

  it("refuses neither or both of the key and the signing secret, naming both config keys", () => {
    const url = "https://example.com/webhooks/clerk";
    expect(
      () =>
        new ClerkWebhookEndpoint("neither", {
          url,
          secretKey: undefined,
          signingSecret: undefined,
          eventTypes: [],
        }),
    ).toThrow(
      /exactly one of secretKey \(config clerkSecretKey.*signingSecret \(config clerkWebhookSigningSecret.*neither was given/,
    );
    expect(
      () =>
        new ClerkWebhookEndpoint("both", { url, secretKey: KEY, signingSecret: "whsec_x", eventTypes: [] }),
    ).toThrow(/clerkSecretKey.*clerkWebhookSigningSecret.*both were given/);
  });
});

describe("instanceKind", () => {
  it("tells production and development keys apart without revealing them", () => {
    expect(instanceKind("sk_live_abc")).toBe("production");
    expect(instanceKind("sk_test_abc")).toBe("development");
    expect(instanceKind("something")).toBe("unknown");
  });
});
