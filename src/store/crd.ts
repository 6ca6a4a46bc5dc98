import type { KubernetesObject, ResolvedKind } from "../k8s/kinds.ts";

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
export interface StoreShardObject extends KubernetesObject {
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
              "One shard of a capstan module's Store. Keys are '<capability>/<key>'; a key always lives in the shard its hash picks.",
            properties: {
              apiVersion: { type: "string" },
              kind: { type: "string" },
              metadata: { type: "object" },
              data: {
                type: "object",
                description: "Store entries: '<capability>/<key>' to string value.",
                additionalProperties: { type: "string" },
                default: {},
                // One managed field for the whole map: per-key field tracking would double each
                // shard's size in managedFields and make every patch cost O(keys) in the API server.
                "x-kubernetes-map-type": "atomic",
              },
            },
          },
        },
        additionalPrinterColumns: [{ name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" }],
      },
    ],
  },
} as const;
