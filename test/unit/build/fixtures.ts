import type { ManifestInput } from "../../../src/build/manifest-input.ts";
import type { BindingDescription, ModuleDescription } from "../../../src/build/module-description.ts";
import { chunkPayload } from "../../../src/contract/module-chunks.ts";

const noFilters: BindingDescription["filters"] = {
  name: "",
  namespaces: [],
  namespaceRegExps: [],
  labels: {},
  annotations: {},
  deletionTimestamp: false,
};

export function binding(
  action: BindingDescription["action"],
  kind: { group: string; version: string; kind: string; plural: string; namespaced?: boolean },
  extra: Partial<BindingDescription> = {},
): BindingDescription {
  return {
    name: `0-${action}-${kind.kind.toLowerCase()}`,
    action,
    event: "CREATEORUPDATE",
    isMutate: action === "mutate" || action === "finalize-mutate",
    isValidate: action === "validate",
    isWatch: action === "watch" || action === "reconcile" || action === "finalize",
    isQueue: action === "reconcile",
    isFinalize: action === "finalize" || action === "finalize-mutate",
    kind: { namespaced: true, ...kind },
    filters: noFilters,
    ...extra,
  };
}

export const pod = { group: "", version: "v1", kind: "Pod", plural: "pods" };
export const configMap = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps" };
export const widget = { group: "example.com", version: "v1", kind: "Widget", plural: "widgets" };

export function description(bindings: BindingDescription[], extra: Partial<ModuleDescription> = {}): ModuleDescription {
  return {
    packageName: "demo",
    version: "0.1.0",
    description: "demo module",
    config: { uuid: "demo", onError: "reject", webhookTimeout: 10, namespace: "capstan-system", flavor: "capstan" },
    capabilities: [{ name: "hello", description: "hello", namespaces: [], hasSchedule: false, bindings }],
    storeUsed: false,
    ...extra,
  };
}

export function input(module: ModuleDescription, extra: Partial<ManifestInput> = {}): ManifestInput {
  return {
    module,
    namespace: "capstan-system",
    image: { repository: "example.com/capstan-runtime", tag: "0.1.0" },
    rbacMode: "scoped",
    antiAffinity: false,
    code: chunkPayload("code", "export const x = 1;\n"),
    ...extra,
  };
}

/** Mutate pods, validate pods, watch config maps, finalize widgets. */
export const fullModule = description([
  binding("mutate", pod),
  binding("validate", pod),
  binding("watch", configMap),
  binding("finalize-mutate", widget),
  binding("finalize", widget),
]);
