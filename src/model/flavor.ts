import type { PackageJSON } from "./module-config.ts";

/**
 * Which engine's names and semantics a module observes. A module configured under package.json's
 * `pepr` key runs in Pepr compatibility mode; one under `capstan` keeps capstan's own names.
 */
export type Flavor = "pepr" | "capstan";

/** The names a module observes on the cluster, per flavor (docs/migrating-from-pepr.md). */
export interface FlavorNames {
  readonly flavor: Flavor;
  /** Domain of annotations, labels and finalizers: `pepr.dev` or `capstan.dev`. */
  readonly domain: string;
  /** The finalizer `Finalize` bindings add and remove. */
  readonly finalizer: string;
  /** The namespace the module runs in when its config names none. */
  readonly defaultNamespace: string;
  /** The server-side-apply field manager of `K8s().Apply`. */
  readonly fieldManager: string;
  /** The prefix of every object generated for a module: `pepr-<uuid>` or `capstan-<uuid>`. */
  objectPrefix(uuid: string): string;
  /** The prefix of the per-capability status annotations mutations leave: `<uuid>.pepr.dev/`. */
  statusAnnotationPrefix(uuid: string): string;
}

function namesFor(flavor: Flavor): FlavorNames {
  const domain = `${flavor}.dev`;
  return {
    flavor,
    domain,
    finalizer: `${domain}/finalizer`,
    defaultNamespace: `${flavor}-system`,
    fieldManager: flavor,
    objectPrefix: (uuid) => `${flavor}-${uuid}`,
    statusAnnotationPrefix: (uuid) => `${uuid}.${domain}/`,
  };
}

const table: Readonly<Record<Flavor, FlavorNames>> = { pepr: namesFor("pepr"), capstan: namesFor("capstan") };

export function flavorNames(flavor: Flavor): FlavorNames {
  return table[flavor];
}

/** A `capstan` block selects capstan's names; otherwise the module is a Pepr module. */
export function flavorOfPackage(pkg: PackageJSON): Flavor {
  return pkg.capstan && typeof pkg.capstan === "object" ? "capstan" : "pepr";
}
