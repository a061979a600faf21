/**
 * The stack's Tinybird Forward project: create/update deploys every datafile as the workspace's
 * whole project (deployments.ts), then reads back the tokens the datafiles declare (tokens.ts);
 * destroy redeploys without the stack's TOKEN lines, which revokes its tokens and keeps the data.
 */
import { CommandError } from "../../../command-kit/command-shell";
import {
  projectDatafiles,
  projectResourceNames,
  type TinybirdProject,
} from "../../../tinybird-model/project";
import type { ProvisionResult } from "./config";
import { checkDeployment, type DeployOptions, deployFiles } from "./deployments";
import type { TinybirdApi } from "./tinybird-api";
import {
  declaredTokens,
  readTokenValue,
  renameTokens,
  type TokenNames,
  tokenNamesInEffect,
  withoutTokens,
} from "./tokens";

const enc = encodeURIComponent;

/** The resource names this stack may remove: its own, current or recorded by its previous run. */
export const ownNames = (project: TinybirdProject, previous?: ProvisionResult) =>
  new Set([
    ...projectResourceNames(project),
    ...(previous
      ? [
          previous.dataSource,
          ...previous.pipes,
          ...(previous.materializations ?? []),
          ...(previous.rollups ?? []),
        ]
      : []),
  ]);

/** Exactly the files a deployment of `project` sends, with the token names in effect. */
export async function deploymentFiles(
  api: TinybirdApi,
  project: TinybirdProject,
): Promise<{ files: ReturnType<typeof projectDatafiles>; tokens: TokenNames }> {
  const tokens = await tokenNamesInEffect(api, project);
  return { files: renameTokens(projectDatafiles(project), declaredTokens(project), tokens), tokens };
}

/** What `pulumi preview` shows: Tinybird's own check of the exact datafiles `pulumi up` would deploy. */
export async function checkForward(
  api: TinybirdApi,
  project: TinybirdProject,
  allowDestructiveOperations: boolean,
) {
  const { files, tokens } = await deploymentFiles(api, project);
  const report = await checkDeployment(api, files, ownNames(project), allowDestructiveOperations);
  return { ...report, tokens };
}

export async function provisionForward(
  api: TinybirdApi,
  project: TinybirdProject,
  options: DeployOptions,
  previous?: ProvisionResult,
): Promise<ProvisionResult> {
  const { files, tokens } = await deploymentFiles(api, project);
  if (tokens.append !== declaredTokens(project).append) {
    options.progress(
      `keeping the tokens this stack made on Classic (${[tokens.append, tokens.read].filter(Boolean).join(", ")}): ` +
        "the workspace was migrated to Forward with them, and the forwarder holds their values",
    );
  }
  // Every datafile in one deployment: Tinybird creates the rollups and materialized pipes, and
  // populates a new or changed rollup from the rows already stored, before the deployment goes live.
  await deployFiles(api, files, ownNames(project, previous), options);
  return {
    kind: "forward",
    dataSource: project.dataSource.definition.name,
    appendToken: await readTokenValue(api, tokens.append),
    readToken: tokens.read ? await readTokenValue(api, tokens.read) : "",
    appendTokenName: tokens.append,
    readTokenName: tokens.read,
    pipes: project.pipes.map((p) => p.definition.name),
    ...(project.materializations.length > 0
      ? {
          materializations: project.materializations.map((m) => m.definition.name),
          rollups: project.rollups.map((r) => r.definition.name),
        }
      : {}),
  };
}

/**
 * Forward destroy is a deployment too: the project without the TOKEN lines of the stack's two
 * tokens, which revokes them and keeps the data (and a team's own tokens).
 *
 * Deleting the data would need a deployment without this stack's resources; when they are the whole
 * workspace that is an empty deployment, and no public Tinybird source (CLI, SDK, docs) shows
 * `/v1/deploy` accepting one. So with deleteDataOnDestroy the tokens are revoked as above and the
 * destroy fails with the steps to delete the rest by hand; once they are gone, the next destroy
 * finds nothing and succeeds.
 *
 * When the data source is no longer in the workspace, nothing of this stack is left to remove: it
 * was destroyed already, or a renamed stack's deployment replaced it (Pulumi deletes the old
 * resource after creating the new one). That deployment now owns the workspace, the datafile's
 * token names included, and redeploying this project would undo it.
 */
export async function destroyForward(
  api: TinybirdApi,
  project: TinybirdProject,
  deleteData: boolean,
  options: DeployOptions,
  previous?: ProvisionResult,
): Promise<void> {
  const { name } = project.dataSource.definition;
  const found = await api.request("GET", `/v0/datasources/${enc(name)}`, {
    accept: [404],
    scope: "DATASOURCES:READ",
  });
  if (found.status === 404) return;
  const declared = declaredTokens(project);
  // The names the previous run recorded (a Classic stack's, say); else those it would use now.
  const recorded =
    previous?.appendTokenName !== undefined && previous.appendTokenName !== ""
      ? { append: previous.appendTokenName, read: previous.readTokenName }
      : undefined;
  const tokens = recorded ?? (await tokenNamesInEffect(api, project));
  const files = withoutTokens(renameTokens(projectDatafiles(project), declared, tokens), tokens);
  await deployFiles(api, files, ownNames(project, previous), options);
  if (deleteData) {
    const others = projectResourceNames(project).filter((n) => n !== name);
    throw new CommandError(
      `the tokens are revoked, but the data source "${name}"${others.length ? ` and ${others.join(", ")}` : ""} ` +
        "are kept: Tinybird documents no way to deploy a Forward workspace empty, so this stack will not try. " +
        `To delete them: remove their datafiles from your Tinybird project and run \`tb --cloud deploy --allow-destructive-operations\`, ` +
        `or delete them in Tinybird's UI (Data Sources → ${name} → Delete); then run \`pulumi destroy\` again, which finds ` +
        "them gone and completes. To keep the data instead: pulumi config set tinybirdDeleteDataOnDestroy false, pulumi up, pulumi destroy",
    );
  }
}
