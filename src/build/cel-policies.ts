import { celPolicies } from "../admission/index.ts";
import type { KubeObject } from "./manifest-input.ts";
import type { ModuleDescription } from "./module-description.ts";
import { capabilitiesOf } from "./webhooks.ts";

/**
 * The ValidatingAdmissionPolicies and bindings of the module's ValidateCEL bindings (each policy
 * before its binding), from admission's generator; throws naming a binding whose filters have no
 * exact CEL form.
 */
export function moduleCelPolicies(module: ModuleDescription, namespace: string): KubeObject[] {
  const pairs = celPolicies({ config: { ...module.config, namespace }, capabilities: capabilitiesOf(module) });
  return pairs.flatMap(({ policy, binding }) => [policy as KubeObject, binding as KubeObject]);
}
