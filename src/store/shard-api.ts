import type { ApiClient } from "../k8s/index.ts";
import { ConflictError, NotFoundError } from "../k8s/index.ts";
import { STORE_KIND, type StoreShardObject, storeKind } from "./crd.ts";

export type PatchOperation =
  | { readonly op: "add"; readonly path: string; readonly value: string }
  | { readonly op: "remove"; readonly path: string }
  | { readonly op: "test"; readonly path: string; readonly value: string }
  | { readonly op: "replace"; readonly path: string; readonly value: string | Readonly<Record<string, string>> };

/** The first operation of every write: it fails the patch (422) once the shard is sealed for a split. */
export const WHILE_OPEN: PatchOperation = { op: "test", path: "/state", value: "open" };

/** The label every shard of a store carries: the store's name. The replica watches by it. */
export const STORE_LABEL = "capstan.dev/store";

/** The calls the store makes on its shard objects; an interface so tests can stand in for the API server. */
export interface ShardApi {
  /** Applies an RFC 6902 patch to a shard and returns the shard after it. Throws `NotFoundError` when the shard does not exist. */
  patch(shard: string, operations: readonly PatchOperation[]): Promise<StoreShardObject>;
  /**
   * Creates a shard holding `data` (empty by default) and returns it; an existing shard is left as
   * it is and the result is undefined. A create never overwrites anything, so it can carry writes.
   */
  create(shard: string, data?: Readonly<Record<string, string>>): Promise<StoreShardObject | undefined>;
  /** Reads a shard from the API server (not the replica); undefined when it does not exist. */
  read(shard: string): Promise<StoreShardObject | undefined>;
}

const PATCH_TIMEOUT_MS = 15_000;

/** `ShardApi` over the Kubernetes API. */
export function clusterShardApi(client: ApiClient, namespace: string, storeName: string): ShardApi {
  const collection = `/apis/${storeKind.apiVersion}/namespaces/${namespace}/${storeKind.plural}`;
  return {
    patch: (shard, operations) =>
      client.request<StoreShardObject>({
        method: "PATCH",
        path: `${collection}/${shard}`,
        body: operations,
        contentType: "application/json-patch+json",
        query: { fieldManager: "capstan-store" },
        signal: AbortSignal.timeout(PATCH_TIMEOUT_MS),
      }),
    async create(shard, data = {}) {
      try {
        return await client.request<StoreShardObject>({
          method: "POST",
          path: collection,
          query: { fieldManager: "capstan-store" },
          body: {
            apiVersion: storeKind.apiVersion,
            kind: STORE_KIND,
            metadata: { name: shard, namespace, labels: { [STORE_LABEL]: storeName } },
            state: "open",
            data,
          },
          signal: AbortSignal.timeout(PATCH_TIMEOUT_MS),
        });
      } catch (error) {
        if (error instanceof ConflictError && error.reason === "AlreadyExists") return undefined;
        throw error;
      }
    },
    async read(shard) {
      try {
        return await client.request<StoreShardObject>({ path: `${collection}/${shard}` });
      } catch (error) {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }
    },
  };
}
