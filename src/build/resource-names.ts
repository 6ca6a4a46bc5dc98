import type { DeployedRole } from "./runtime-contract.ts";

/** Names of the objects generated for a module; the runtime derives the same names from the uuid. */
export interface ResourceNames {
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
  /** Module code chunk Secrets are named after the code's hash, so a new build never rewrites an old one. */
  moduleSecret(sha256: string, index: number): string;
}

/** Every object is named `capstan-<uuid>[-<part>]` (uuid: at most 36 characters, RFC 1123). */
export function resourceNames(uuid: string): ResourceNames {
  const prefix = `capstan-${uuid}`;
  return {
    prefix,
    serviceAccount: prefix,
    clusterRole: prefix,
    role: prefix,
    tlsSecret: `${prefix}-tls`,
    webhookConfiguration: prefix,
    lease: `${prefix}-controller`,
    store: `${prefix}-store`,
    deployment: (role) => `${prefix}-${role}`,
    service: (role) => `${prefix}-${role}`,
    moduleSecret: (sha256, index) => `${prefix}-module-${sha256.slice(0, 12)}-${String(index).padStart(3, "0")}`,
  };
}
