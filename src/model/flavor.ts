/**
 * Which engine's names and semantics a module observes. A module configured under package.json's
 * `pepr` key runs in Pepr compatibility mode; one under `capstan` keeps capstan's own names.
 */
export type Flavor = "pepr" | "capstan";
export const flavors: readonly Flavor[] = ["pepr", "capstan"];

/** The names a module observes on the cluster, per flavor (docs/migrating-from-pepr.md, "Names"). */
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
  /** The label carrying the module's uuid on the objects generated for it. */
  readonly uuidLabel: string;
  /** The annotation carrying the module's description on its Deployments. */
  readonly descriptionAnnotation: string;
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
    uuidLabel: `${domain}/uuid`,
    descriptionAnnotation: `${domain}/description`,
    objectPrefix: (uuid) => `${flavor}-${uuid}`,
    statusAnnotationPrefix: (uuid) => `${uuid}.${domain}/`,
  };
}

const table: Readonly<Record<Flavor, FlavorNames>> = { pepr: namesFor("pepr"), capstan: namesFor("capstan") };

export function flavorNames(flavor: Flavor): FlavorNames {
  return table[flavor];
}

/** A `capstan` block selects capstan's names; otherwise the module is a Pepr module. */
export function flavorOfPackage(pkg: { readonly capstan?: unknown }): Flavor {
  return pkg.capstan && typeof pkg.capstan === "object" ? "capstan" : "pepr";
}

/**
 * The flavor of a parsed module config. `parseModuleConfig` always records it; a config written by
 * hand without one is a Pepr module's, as a package.json without a `capstan` block is.
 */
export function flavorOf(config: { readonly flavor?: Flavor }): Flavor {
  return config.flavor ?? "pepr";
}

/** The names of a parsed module config's flavor. */
export function namesOf(config: { readonly flavor?: Flavor }): FlavorNames {
  return table[flavorOf(config)];
}

/** Reads a flavor from outside (an environment variable); throws with what to fix. */
export function parseFlavor(value: string, source: string): Flavor {
  if ((flavors as readonly string[]).includes(value)) return value as Flavor;
  throw new Error(`Invalid ${source} "${value}": use ${flavors.join(" or ")}`);
}
