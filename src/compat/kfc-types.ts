// `kubernetes-fluent-client/dist/types`.

export type { GroupVersionKind, KubernetesObject } from "../k8s/index.ts";
export { GenericKind } from "../k8s/index.ts";
export type { GenericClass } from "./kfc-extras.ts";
