// A compat module bundled the way `pepr build` bundles it, by Pepr 1.1.4's own esbuild with its
// build options (bench/engines/pepr/build.ts), so the bundle's `require("pepr")` and
// `require("kubernetes-fluent-client")` load the Pepr install of bench/engines/pepr.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Plugin } from "esbuild";
import { bundleModule, bundlePeprAssets, installPepr } from "../../../bench/engines/pepr/build.ts";
import { peprLayout } from "../../../bench/engines/pepr/layout.ts";
import { modulesRoot, peprTemplateTsconfig } from "../harness/tree.ts";

/** The environment variable the port shim reads. */
export const PORT_VARIABLE = "COMPAT_PEPR_PORT";

const SHIM = "compat-pepr-port";

// Pepr's PeprModule always listens on 3000 unless the module defers its start. The shim hands the
// module's entry a PeprModule that starts on COMPAT_PEPR_PORT instead; everything else is Pepr's.
const shimSource = `
import { PeprModule as PeprRuntime } from "pepr";
export * from "pepr";
export class PeprModule extends PeprRuntime {
  constructor(pkg, capabilities, opts = {}) {
    super(pkg, capabilities, { ...opts, deferStart: true });
    if (process.env.PEPR_MODE === "build") return;
    const start = this.start;
    this.start = () => start(Number(process.env.${PORT_VARIABLE}));
    if (!opts.deferStart) this.start();
  }
}
`;

function portShim(entry: string): Plugin {
  return {
    name: SHIM,
    setup(build) {
      build.onResolve({ filter: /^pepr$/ }, (args) => {
        if (args.namespace === SHIM) return { path: "pepr", external: true };
        return args.importer === entry ? { path: SHIM, namespace: SHIM } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: SHIM }, () => ({ contents: shimSource, loader: "js" }));
    },
  };
}

/** Installs Pepr 1.1.4 (once) and bundles the parts of its source the runner calls. */
export async function preparePepr(): Promise<void> {
  installPepr();
  await bundlePeprAssets();
}

export interface PeprModulePackage {
  readonly description?: string;
  readonly pepr: {
    readonly uuid: string;
    readonly logLevel?: string;
    readonly webhookTimeout?: number;
    readonly env?: Record<string, string>;
  } & Record<string, unknown>;
}

export function modulePackage(name: string): PeprModulePackage {
  return JSON.parse(readFileSync(join(modulesRoot, name, "package.json"), "utf8")) as PeprModulePackage;
}

/** Bundles test/compat/modules/<name>/pepr.ts with Pepr's build options and the module template's tsconfig; returns the bundle's path. */
export async function bundleCompatModule(name: string): Promise<string> {
  const entry = join(modulesRoot, name, "pepr.ts");
  const outfile = join(peprLayout.out, "compat", name, "module.cjs");
  await bundleModule({
    entryPoints: [entry],
    outfile,
    tsconfigRaw: JSON.stringify({ compilerOptions: peprTemplateTsconfig.compilerOptions }),
    plugins: [portShim(entry)],
  });
  return outfile;
}
