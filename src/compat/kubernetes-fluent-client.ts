// What a module reaches as `kubernetes-fluent-client` once its `pepr` dependency is capstan: the
// names Pepr modules import from that package, backed by capstan's own client and kind registry, so
// a module holds one client and one registry whichever package it imports them from (ADR 0010).

export type {
  FetchResponse,
  Filters,
  K8sInit,
  KubernetesListObject,
  Operation,
  PartialDeep,
  Paths,
  WatchAction,
  WatchCfg,
} from "../fluent/index.ts";
export { fetch, fetchStatus, K8s, Watcher } from "../fluent/index.ts";
export {
  GenericKind,
  type GroupVersionKind,
  type KubernetesObject,
  models as kind,
  RegisterKind,
  WatchPhase,
} from "../k8s/index.ts";
export { type GenericClass, modelToGroupVersionKind, WatchEvent } from "./kfc-extras.ts";
