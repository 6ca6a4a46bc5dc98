import type { ApiClient } from "../k8s/index.ts";
import { NotFoundError } from "../k8s/index.ts";
import { CEL_POLICY_API_MISSING, type CelPolicyObjects } from "./cel-policies.ts";

const base = "/apis/admissionregistration.k8s.io/v1";
const FIELD_MANAGER = "capstan";
const policies = `${base}/validatingadmissionpolicies`;
const bindings = `${base}/validatingadmissionpolicybindings`;

const nameOf = (object: Record<string, unknown>) => (object.metadata as { name: string }).name;

/** Applies each policy, then its binding, server-side (a binding to a missing policy would match nothing). */
export async function applyCelPolicies(client: ApiClient, pairs: readonly CelPolicyObjects[]): Promise<void> {
  for (const { policy, binding } of pairs) {
    for (const [collection, object] of [
      [policies, policy],
      [bindings, binding],
    ] as const) {
      await client
        .request({
          method: "PATCH",
          path: `${collection}/${encodeURIComponent(nameOf(object))}`,
          query: { fieldManager: FIELD_MANAGER, force: true },
          contentType: "application/apply-patch+yaml",
          body: object,
        })
        .catch((error: unknown) => {
          // An apply creates a missing object: a 404 means the kind itself is not served.
          if (error instanceof NotFoundError) throw new Error(`Applying ${nameOf(object)}: ${CEL_POLICY_API_MISSING}`);
          throw error;
        });
    }
  }
}

/** Deletes the bindings and policies of these names (a policy and its binding share one); missing ones are fine. */
export async function deleteCelPolicies(client: ApiClient, names: readonly string[]): Promise<void> {
  for (const name of names) {
    for (const collection of [bindings, policies]) {
      await client
        .request({ method: "DELETE", path: `${collection}/${encodeURIComponent(name)}` })
        .catch((error: unknown) => {
          if (!(error instanceof NotFoundError)) throw error;
        });
    }
  }
}
