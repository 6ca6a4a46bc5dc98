export { ObjectCache, objectKey } from "./cache.ts";
export { Informer } from "./informer.ts";
export { informerHealth, scopeKey, sharedInformer, stopInformers } from "./registry.ts";
export { stripManagedFields } from "./transform.ts";
export type {
  Indexers,
  InformerEvent,
  InformerEventType,
  InformerHandler,
  InformerHealth,
  InformerOptions,
  InformerScope,
  InformerState,
  Transform,
} from "./types.ts";
export { IdleTimeoutError, type StallKind } from "./watchdog.ts";
