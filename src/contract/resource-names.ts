import { type Flavor, flavorNames } from "../model/index.ts";
import type { DeployedRole } from "./runtime-contract.ts";

/** Names of the objects generated for a module; the runtime derives the same names from the uuid and flavor. */
export interface ResourceNames {
  readonly flavor: Flavor;
  readonly prefix: string;
  readonly serviceAccount: string;
  readonly clusterRole: string;
  readonly role: string;
  readonly tlsSecret: string;
  readonly webhookConfiguration: string;
  readonly lease: string;
  readonly store: string;
  deployment(role: DeployedRole): string;
  service(role: DeployedRole): string;
  /** The value of the `app` label Pepr selects a role's pods by (Pepr mode only). */
  app(role: DeployedRole): string;
  /** Module code chunk Secrets are named after the code's hash, so a new build never rewrites an old one. */
  moduleSecret(sha256: string, index: number): string;
}

/**
 * Pepr's role names: the admission role is `pepr-<uuid>`, the controller `pepr-<uuid>-watcher`
 * (Pepr 1.1.4, src/lib/assets/k8sObjects.ts); capstan's are `capstan-<uuid>-admission|controller`.
 */
function roleName(prefix: string, flavor: Flavor, role: DeployedRole): string {
  if (flavor === "capstan") return `${prefix}-${role}`;
  return role === "admission" ? prefix : `${prefix}-watcher`;
}

/**
 * Every object is named `<flavor>-<uuid>[-<part>]` (uuid: at most 36 characters, RFC 1123). In Pepr
 * mode the names that Pepr 1.1.4 also creates are Pepr's own (`pepr-<uuid>`, `-watcher`, `-tls`,
 * `-store`), so a deploy over a Pepr module replaces its objects instead of leaving them beside.
 */
export function resourceNames(uuid: string, flavor: Flavor): ResourceNames {
  const prefix = flavorNames(flavor).objectPrefix(uuid);
  const role = (name: DeployedRole) => roleName(prefix, flavor, name);
  return {
    flavor,
    prefix,
    serviceAccount: prefix,
    clusterRole: prefix,
    // Pepr's namespaced Role (and its RoleBinding) is `pepr-<uuid>-store`.
    role: flavor === "pepr" ? `${prefix}-store` : prefix,
    tlsSecret: `${prefix}-tls`,
    webhookConfiguration: prefix,
    // A Lease is capstan's own (Pepr runs one watcher replica); named after the controller role.
    lease: role("controller"),
    store: `${prefix}-store`,
    deployment: role,
    service: role,
    app: role,
    moduleSecret: (sha256, index) => `${prefix}-module-${sha256.slice(0, 12)}-${String(index).padStart(3, "0")}`,
  };
}
