export type { StoreBackend, StoreListener, UpdateFunction } from "./backend.ts";
export { ClusterStore, type ClusterStoreOptions, DEFAULT_SHARDS, type StoreFeed } from "./cluster-store.ts";
export { STORE_GROUP, STORE_KIND, STORE_PLURAL, type StoreShardObject, storeCrd, storeKind } from "./crd.ts";
export { StoreWriteError } from "./failures.ts";
export { installStoreCrd } from "./install.ts";
export { MAX_KEY_BYTES, MAX_VALUE_BYTES, StoreInputError } from "./keys.ts";
export { MemoryStore } from "./memory-store.ts";
export { STORE_LABEL } from "./shard-api.ts";
export { MAX_WAIT_TIME_MS, Store } from "./store.ts";
