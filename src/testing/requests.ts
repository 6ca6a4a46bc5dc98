import { randomUUID } from "node:crypto";
import type { GroupVersionKind, KubernetesObject } from "../k8s/index.ts";
import type { AdmissionRequest, Operation, UserInfo } from "../model/index.ts";
import { kindOfObject } from "./kinds.ts";
import type { ModuleUnderTest } from "./module-under-test.ts";
import { type ObjectInput, toObject } from "./objects.ts";

/** What a test says about one admission request; everything but the object(s) has a default. */
export interface RequestInput {
  /** Default CREATE. */
  readonly operation?: Operation;
  /** The new object (CREATE, UPDATE); for DELETE give `oldObject` (or `object`, which is moved there). */
  readonly object?: ObjectInput;
  /** The stored object (UPDATE, DELETE). */
  readonly oldObject?: ObjectInput;
  /** Default `{ username: "kubernetes-admin", groups: ["system:masters", "system:authenticated"] }`. */
  readonly userInfo?: UserInfo;
  readonly dryRun?: boolean;
  /** Default: the object's `metadata.namespace`. */
  readonly namespace?: string;
  readonly subResource?: string;
  readonly uid?: string;
  /** Only for kinds the kit cannot tell from apiVersion/kind (unregistered custom kinds with odd plurals). */
  readonly kind?: GroupVersionKind;
}

export const DEFAULT_USER: UserInfo = {
  username: "kubernetes-admin",
  groups: ["system:masters", "system:authenticated"],
};

const operations: readonly string[] = ["CREATE", "UPDATE", "DELETE", "CONNECT"];

/**
 * Builds the AdmissionRequest the API server would send, from plain objects or YAML. A DELETE
 * carries the object as `oldObject` and `object: null`, as the API server sends it.
 */
export function admissionRequest(input: RequestInput, module?: ModuleUnderTest): AdmissionRequest {
  const operation = input.operation ?? "CREATE";
  if (!operations.includes(operation)) {
    throw new Error(`operation must be one of ${operations.join(", ")} (got ${JSON.stringify(operation)})`);
  }
  const object = input.object === undefined ? undefined : toObject(input.object);
  let oldObject = input.oldObject === undefined ? undefined : toObject(input.oldObject);
  if (operation === "DELETE") oldObject ??= object;
  const reviewed = operation === "DELETE" ? oldObject : object;
  if (!reviewed) {
    throw new Error(`a ${operation} request needs ${operation === "DELETE" ? "oldObject (or object)" : "object"}`);
  }
  if (operation === "UPDATE" && !oldObject) throw new Error("an UPDATE request needs oldObject as well as object");
  const kind = kindOfObject(reviewed, module, input.kind);
  const gvk = { group: kind.group, version: kind.version, kind: kind.kind };
  const gvr = { group: kind.group, version: kind.version, resource: kind.plural };
  const namespace = input.namespace ?? reviewed.metadata?.namespace;
  return {
    uid: input.uid ?? randomUUID(),
    kind: gvk,
    resource: gvr,
    requestKind: gvk,
    requestResource: gvr,
    ...(input.subResource ? { subResource: input.subResource, requestSubResource: input.subResource } : {}),
    name: reviewed.metadata?.name ?? "",
    ...(namespace ? { namespace } : {}),
    operation,
    userInfo: input.userInfo ?? DEFAULT_USER,
    object: (operation === "DELETE" ? null : object) as KubernetesObject,
    ...(operation !== "CREATE" && oldObject ? { oldObject } : {}),
    dryRun: input.dryRun ?? false,
  };
}
