import { type KindClass, kindOf } from "../k8s/index.ts";

/** Any kind class (kubernetes-fluent-client's `GenericClass`). */
export type GenericClass = KindClass;

/** The group, version and kind a registered class stands for; throws for a class never registered. */
export function modelToGroupVersionKind(model: KindClass): { kind: string; group: string; version: string } {
  const { kind, group, version } = kindOf(model);
  return { kind, group, version };
}

/** The names of the events `Watcher.events` emits (kubernetes-fluent-client's `WatchEvent`). */
export const WatchEvent = {
  CONNECT: "connect",
  NETWORK_ERROR: "network_error",
  DATA_ERROR: "data_error",
  RECONNECT: "reconnect",
  GIVE_UP: "give_up",
  ABORT: "abort",
  DATA: "data",
  OLD_RESOURCE_VERSION: "old_resource_version",
  RECONNECT_PENDING: "reconnect_pending",
  LIST: "list",
  LIST_ERROR: "list_error",
  CACHE_MISS: "cache_miss",
  INC_RESYNC_FAILURE_COUNT: "inc_resync_failure_count",
  INIT_CACHE_MISS: "init_cache_miss",
  WATCH_ERROR: "watch_error",
} as const;
export type WatchEvent = (typeof WatchEvent)[keyof typeof WatchEvent];
