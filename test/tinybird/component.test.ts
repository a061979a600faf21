import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import { parseProvisionResult, TinybirdProject } from "../../infra/components/tinybird-project";
import { readConfig } from "../../infra/provisioning/tinybird/config";
import { installMocks, isSecret, only, unwrap } from "../support/pulumi-mocks";
import { makeProject, PIPES, REPO_ROOT, removeProject } from "./support/project";

const ADMIN = "p.admin-token-for-component-test";
const printed = {
  kind: "forward",
  dataSource: "clerk_events",
  appendToken: "p.append-value",
  readToken: "p.read-value",
  appendTokenName: "clerk_append",
  readTokenName: "clerk_read",
  pipes: ["signups"],
};

const { resources } = installMocks({
  state: ({ type, inputs }) =>
    type === "command:local:Command"
      ? { stdout: JSON.stringify({ ...printed, dataSource: inputs.environment.TINYBIRD_DATASOURCE }) }
      : {},
});

const roots: string[] = [];
afterAll(() => roots.forEach(removeProject));
function project(): string {
  const root = makeProject({ "signups.pipe": PIPES["signups.pipe"] });
  roots.push(root);
  return root;
}

const COMMAND = "command:local:Command";
/** The stack's settings when it sets none of them (Pulumi.yaml's defaults). */
const SETTINGS = {
  dataSourceName: "clerk_events",
  deleteDataOnDestroy: false,
  allowDestructiveOperations: false,
  deploymentWaitMinutes: 120,
} as const;
const commandOf = (name: string) => only(resources, COMMAND, `${name}-provision`);

describe("TinybirdProject", () => {
  const tinybird = new TinybirdProject("tinybird", {
    host: "https://api.eu-central-1.aws.tinybird.co/",
    adminToken: pulumi.secret(ADMIN),
    ...SETTINGS,
    deleteDataOnDestroy: true,
  });

  it("runs this project's provisioning code, one command per operation, naming no checkout path", async () => {
    await unwrap(tinybird.dataSourceName);
    const { inputs } = commandOf("tinybird");
    expect([inputs.create, inputs.update, inputs.delete]).toEqual([
      "npm run --silent provision -- infra/provisioning/tinybird/cli.ts create",
      "npm run --silent provision -- infra/provisioning/tinybird/cli.ts update",
      "npm run --silent provision -- infra/provisioning/tinybird/cli.ts delete",
    ]);
    // The state keeps every input: a path here would tie `pulumi destroy` to this folder.
    expect(inputs.dir).toBeUndefined();
    expect(JSON.stringify(inputs)).not.toContain(REPO_ROOT);
    expect(only(resources, "clerk-tinybird:tinybird:TinybirdProject", "tinybird")).toBeDefined();
  });

  it("passes the admin token only in the environment, as a secret, and logs stderr (progress), never stdout (tokens)", async () => {
    await unwrap(tinybird.dataSourceName);
    const resource = commandOf("tinybird");
    expect(resource.secretInputs).toContain("environment");
    expect(resource.inputs.logging).toBe("stderr");
    expect(resource.inputs.environment).toEqual({
      TINYBIRD_HOST: "https://api.eu-central-1.aws.tinybird.co",
      TINYBIRD_ADMIN_TOKEN: ADMIN,
      TINYBIRD_DATASOURCE: "clerk_events",
      TINYBIRD_DELETE_DATA_ON_DESTROY: "true",
      TINYBIRD_ALLOW_DESTRUCTIVE: "false",
      TINYBIRD_DEPLOYMENT_WAIT_MINUTES: "120",
      TINYBIRD_DATAFILES_SHA256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const { environment, ...rest } = resource.inputs;
    expect(JSON.stringify(rest)).not.toContain(ADMIN);
  });

  it("sets an environment the command's own readConfig reads back as the settings it was given", async () => {
    const given = {
      host: "http://localhost:7181",
      adminToken: ADMIN,
      dataSourceName: "auth_events",
      deleteDataOnDestroy: true,
      allowDestructiveOperations: true,
      deploymentWaitMinutes: 5,
      projectDir: project(),
    };
    await unwrap(new TinybirdProject("elsewhere", given).dataSourceName);
    const { deploymentWaitMinutes, ...same } = given;
    expect(readConfig(commandOf("elsewhere").inputs.environment)).toEqual({
      ...same,
      deploymentWaitMs: deploymentWaitMinutes * 60_000,
    });
    // The stack's defaults, and a host written with a trailing slash.
    await unwrap(tinybird.dataSourceName);
    expect(readConfig(commandOf("tinybird").inputs.environment)).toEqual({
      ...same,
      host: "https://api.eu-central-1.aws.tinybird.co",
      dataSourceName: SETTINGS.dataSourceName,
      allowDestructiveOperations: SETTINGS.allowDestructiveOperations,
      deploymentWaitMs: SETTINGS.deploymentWaitMinutes * 60_000,
      projectDir: undefined,
    });
  });

  it("asks Tinybird nothing outside a preview", () => {
    expect(tinybird.tinybirdCheck).toBeUndefined();
  });

  it("outputs the data source name in clear and both tokens as secrets", async () => {
    expect(await unwrap(tinybird.dataSourceName)).toBe("clerk_events");
    expect(await isSecret(tinybird.dataSourceName)).toBe(false);
    expect(await unwrap(tinybird.appendToken)).toBe("p.append-value");
    expect(await isSecret(tinybird.appendToken)).toBe(true);
    expect(await unwrap(tinybird.readToken)).toBe("p.read-value");
    expect(await isSecret(tinybird.readToken)).toBe(true);
  });
});

describe("what re-runs and what replaces", () => {
  const root = project();
  const before = new TinybirdProject("before", {
    host: "https://api.tinybird.co",
    adminToken: ADMIN,
    ...SETTINGS,
    projectDir: root,
  });
  const hashBefore = unwrap(before.dataSourceName).then(
    () => commandOf("before").inputs.environment.TINYBIRD_DATAFILES_SHA256,
  );

  it("names a datafile folder elsewhere in the environment", async () => {
    await hashBefore;
    const { inputs } = commandOf("before");
    expect(inputs.environment.TINYBIRD_PROJECT_DIR).toBe(root);
  });

  it("an edited datafile changes the environment (update in place), not the triggers (replace)", async () => {
    await hashBefore;
    writeFileSync(
      join(root, "tinybird/endpoints/signups.pipe"),
      PIPES["signups.pipe"].replace("count()", "uniq(user_id)"),
    );
    const after = new TinybirdProject("after", {
      host: "https://api.tinybird.co",
      adminToken: ADMIN,
      ...SETTINGS,
      projectDir: root,
    });
    await unwrap(after.dataSourceName);
    const [a, b] = [commandOf("before").inputs, commandOf("after").inputs];
    expect(b.environment.TINYBIRD_DATAFILES_SHA256).not.toBe(a.environment.TINYBIRD_DATAFILES_SHA256);
    expect(b.triggers).toEqual(a.triggers);
    expect(a.triggers).toEqual(["https://api.tinybird.co", "clerk_events"]);
  });

  it("another data source name or workspace host replaces", async () => {
    const renamed = new TinybirdProject("renamed", {
      host: "https://api.us-east.aws.tinybird.co",
      adminToken: ADMIN,
      ...SETTINGS,
      dataSourceName: "auth_events",
      projectDir: root,
    });
    expect(await unwrap(renamed.dataSourceName)).toBe("auth_events");
    expect(commandOf("renamed").inputs.triggers).toEqual([
      "https://api.us-east.aws.tinybird.co",
      "auth_events",
    ]);
  });

  it("a datafile the provisioning could not deploy fails the program, naming the file", () => {
    const broken = project();
    writeFileSync(
      join(broken, "tinybird/endpoints/bad.pipe"),
      "NODE n\nSQL >\n    SELECT 1\nTYPE endpoint\nTYPE endpoint\nNODE m\nSQL >\n    SELECT 2\nTYPE endpoint\n",
    );
    expect(
      () =>
        new TinybirdProject("broken", {
          host: "https://api.tinybird.co",
          adminToken: ADMIN,
          ...SETTINGS,
          projectDir: broken,
        }),
    ).toThrow(/tinybird\/endpoints\/bad\.pipe: more than one node has TYPE endpoint/);
  });
});

describe("parseProvisionResult", () => {
  it("reads the last line and never quotes output it cannot read", () => {
    expect(parseProvisionResult(`\n${JSON.stringify(printed)}\n`)).toEqual(printed);
    const attempt = () => parseProvisionResult('{"appendToken": "p.leaked"');
    expect(attempt).toThrow(
      "the Tinybird provisioning command printed no {dataSource, appendToken, readToken} result",
    );
    expect(attempt).not.toThrow(/leaked/);
  });
});
