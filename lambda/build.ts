import { join } from "node:path";
import { buildSync } from "esbuild";

/** The forwarder's entry point; `handler` is its export. */
export const FORWARDER_ENTRY = join(__dirname, "index.ts");

export interface ForwarderBundle {
  /** CommonJS source exporting `handler`, to be stored as `index.js` (Lambda handler `index.handler`). */
  code: string;
}

/**
 * Bundles lambda/ the one way both deployment and the tests use, so what is tested is what ships.
 * Synchronous because the Pulumi program builds its asset archive while it declares resources.
 */
export function buildForwarderBundle(variant: { external?: string[] } = {}): ForwarderBundle {
  const result = buildSync({
    entryPoints: [FORWARDER_ENTRY],
    bundle: true,
    platform: "node",
    // Lambda runs Node 24; the tests and bench load the same bundle on the oldest Node the engines allow.
    target: "node22",
    format: "cjs",
    // The AWS SDK ships ES modules beside CommonJS; bundling those lets esbuild drop what the
    // forwarder never calls: 339 KB instead of 481 KB minified, and a faster load.
    mainFields: ["module", "main"],
    minify: true,
    legalComments: "none",
    // Nothing is external: the AWS SDK is bundled rather than taken from Lambda's Node runtime, so
    // the version tested is the version that runs (the bench weighs both; only it passes `external`).
    external: variant.external ?? [],
    write: false,
    logLevel: "silent",
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error("esbuild produced no output for the forwarder");
  return { code: file.text };
}
