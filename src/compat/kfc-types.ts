// `kubernetes-fluent-client/dist/types`.

export type { GroupVersionKind, KubernetesObject } from "../k8s/kinds.ts";
export { GenericKind } from "../k8s/models.ts";
export type { GenericClass } from "./kfc-extras.ts";
