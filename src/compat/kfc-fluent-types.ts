// `kubernetes-fluent-client/dist/fluent/types` and `…/dist/fluent/shared-types` (where Pepr 1.1.4's client
// declares `WatchPhase`), the paths Pepr modules import `WatchPhase`, `K8sInit`
// and `WatchAction` from.

export type { Filters, K8sInit, Operation, PartialDeep, Paths, WatchAction } from "../fluent/index.ts";
export { WatchPhase } from "../k8s/index.ts";
