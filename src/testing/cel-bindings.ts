// A module's ValidateCEL bindings evaluated offline beside its webhook bindings: the policy the
// build compiles for each (src/admission/cel-policies.ts names it) judged by evaluateCelPolicy.
import { celPolicyName } from "../admission/index.ts";
import type { AdmissionRequest } from "../model/index.ts";
import { admissionSkipReason, celActionsOf, describeBinding } from "../model/index.ts";
import { type CelVerdict, evaluateCelPolicy } from "./cel-evaluate.ts";
import type { ModuleUnderTest } from "./module-under-test.ts";

/** What one ValidateCEL binding's policy decided. */
export interface CelBindingVerdict {
  /** `<capability>/<binding name>`, as in `matched`. */
  readonly binding: string;
  /** The ValidatingAdmissionPolicy's (and its binding's) name. */
  readonly policy: string;
  readonly verdict: CelVerdict;
}

export interface CelReview {
  readonly matched: readonly string[];
  readonly skipped: readonly { readonly binding: string; readonly reason: string }[];
  readonly verdicts: readonly CelBindingVerdict[];
  /** The first denial, as the API server reports it (policies run before validating webhooks). */
  readonly denied?: CelBindingVerdict;
  readonly warnings: readonly string[];
}

/**
 * Runs every ValidateCEL binding the request reaches. Matching uses the webhook path's filters,
 * which the compiled policy's matchConstraints and matchConditions select exactly (issue 17).
 */
export function reviewCelBindings(
  module: ModuleUnderTest,
  request: AdmissionRequest,
  ignoredNamespaces: readonly string[],
): CelReview {
  const matched: string[] = [];
  const skipped: { binding: string; reason: string }[] = [];
  const verdicts: CelBindingVerdict[] = [];
  const namespace = request.namespace;
  const namespaceObject = namespace
    ? {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: namespace, labels: { "kubernetes.io/metadata.name": namespace } },
      }
    : null;
  for (const capability of module.capabilities) {
    for (const binding of capability.bindings) {
      if (!binding.cel) continue;
      const reason = admissionSkipReason(binding, request, capability.namespaces, ignoredNamespaces);
      if (reason) {
        skipped.push({ binding: describeBinding(binding), reason });
        continue;
      }
      matched.push(describeBinding(binding));
      const name = celPolicyName(module, binding);
      const verdict = evaluateCelPolicy(
        {
          policyName: name,
          bindingName: name,
          validations: binding.cel.validations,
          actions: celActionsOf(module.config, binding, binding.cel.actions),
        },
        request,
        { namespaceObject },
      );
      verdicts.push({ binding: describeBinding(binding), policy: name, verdict });
    }
  }
  const denied = verdicts.find((v) => !v.verdict.allowed);
  return {
    matched,
    skipped,
    verdicts,
    ...(denied ? { denied } : {}),
    warnings: verdicts.flatMap((v) => v.verdict.warnings),
  };
}
