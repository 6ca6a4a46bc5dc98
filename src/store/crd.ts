import type { KubernetesObject, ResolvedKind } from "../k8s/index.ts";

export const STORE_GROUP = "capstan.dev";
export const STORE_VERSION = "v1";
export const STORE_KIND = "CapstanStore";
export const STORE_PLURAL = "capstanstores";

/** The kind of a store shard, for informers and API paths. */
export const storeKind: ResolvedKind = {
  kind: STORE_KIND,
  group: STORE_GROUP,
  version: STORE_VERSION,
  plural: STORE_PLURAL,
  namespaced: true,
  apiVersion: `${STORE_GROUP}/${STORE_VERSION}`,
};

/** One shard of a module's store as the API server returns it. */
export type ShardState = "open" | "sealed" | "split";

export interface StoreShardObject extends KubernetesObject {
  /** `open` takes writes; `sealed` is being split (writes fail); `split` holds nothing: its children do. */
  state?: ShardState;
  /** `"<capability>/<key>": value`, readable in `kubectl get capstanstores -o yaml`. */
  data?: Record<string, string>;
}

/**
 * The CustomResourceDefinition behind the Store. Build, deploy and dev mode install it (server-side
 * apply with field manager `capstan`); it is cluster-scoped and shared by every module.
 */
export const storeCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${STORE_PLURAL}.${STORE_GROUP}` },
  spec: {
    group: STORE_GROUP,
    scope: "Namespaced",
    names: {
      plural: STORE_PLURAL,
      singular: "capstanstore",
      kind: STORE_KIND,
      listKind: `${STORE_KIND}List`,
      shortNames: ["cstore"],
    },
    versions: [
      {
        name: STORE_VERSION,
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            description:
              "One shard of a capstan module's Store. Keys are '<capability>/<key>'; shards form a tree by the leading bits of the keys' hashes, and a full shard splits in two.",
            properties: {
              apiVersion: { type: "string" },
              kind: { type: "string" },
              metadata: { type: "object" },
              state: {
                type: "string",
                enum: ["open", "sealed", "split"],
                description:
                  "open: takes writes. sealed: being split into the two shards below it; writes wait. split: holds nothing; the shards below it do.",
              },
              data: {
                type: "object",
                description:
                  "Store entries: '<capability>/<key>' to string value. capstan checks keys and values before it writes them.",
                "x-kubernetes-preserve-unknown-fields": true,
                // Untyped values: typing each one costs the API server ~20-25% more CPU per key on every patch.
                // One managed field for the whole map: per-key field tracking would double each
                // shard's size in managedFields and make every patch cost O(keys) in the API server.
                "x-kubernetes-map-type": "atomic",
              },
            },
          },
        },
        additionalPrinterColumns: [
          { name: "State", type: "string", jsonPath: ".state" },
          { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
        ],
      },
    ],
  },
} as const;
