// `kubernetes-fluent-client/dist/fluent/types`, a path Pepr modules import `WatchPhase`, `K8sInit`
// and `WatchAction` from.

export type { Filters, K8sInit, Operation, PartialDeep, Paths, WatchAction } from "../k8s/fluent/index.ts";
export { WatchPhase } from "../k8s/watch-phase.ts";
