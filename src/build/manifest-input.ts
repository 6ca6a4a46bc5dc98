import type { ChunkedPayload } from "../contract/index.ts";
import type { ModuleDescription } from "./module-description.ts";
import type { RbacMode } from "./rbac.ts";

/** Everything the manifests are a pure function of. */
export interface ManifestInput {
  readonly module: ModuleDescription;
  /** The namespace everything runs in (the config's `namespace`, default `pepr-system` in Pepr mode, else `capstan-system`). */
  readonly namespace: string;
  readonly image: { readonly repository: string; readonly tag: string };
  readonly rbacMode: RbacMode;
  /** Require admission replicas on different nodes (a default for `admission.affinity`). */
  readonly antiAffinity: boolean;
  readonly code: ChunkedPayload;
  readonly map?: ChunkedPayload;
}

export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> } & Record<string, unknown>;
};

/** capstan's own default namespace; a module's default follows its flavor (`moduleNamespace`). */
export const DEFAULT_NAMESPACE = "capstan-system";
export const DEFAULT_IMAGE_REPOSITORY = "ghcr.io/capstan-dev/capstan-runtime";
