import type { ApiClient } from "../k8s/index.ts";
import { NotFoundError } from "../k8s/index.ts";
import { CEL_MUTATION_API_MISSING, CEL_POLICY_API_MISSING, type CelPolicyObjects } from "./cel-policies.ts";

const base = "/apis/admissionregistration.k8s.io/v1";
const FIELD_MANAGER = "capstan";
const collections: Readonly<Record<string, string>> = {
  ValidatingAdmissionPolicy: `${base}/validatingadmissionpolicies`,
  ValidatingAdmissionPolicyBinding: `${base}/validatingadmissionpolicybindings`,
  MutatingAdmissionPolicy: `${base}/mutatingadmissionpolicies`,
  MutatingAdmissionPolicyBinding: `${base}/mutatingadmissionpolicybindings`,
};
const bindingCollections = [collections.ValidatingAdmissionPolicyBinding, collections.MutatingAdmissionPolicyBinding];
const policyCollections = [collections.ValidatingAdmissionPolicy, collections.MutatingAdmissionPolicy];

function collectionOf(object: Record<string, unknown>): string {
  const collection = collections[String(object.kind)];
  if (!collection) throw new Error(`${String(object.kind)} ${nameOf(object)} is not an admission policy kind`);
  return collection;
}

const nameOf = (object: Record<string, unknown>) => (object.metadata as { name: string }).name;

/** Applies each policy, then its binding, server-side (a binding to a missing policy would match nothing). */
export async function applyCelPolicies(client: ApiClient, pairs: readonly CelPolicyObjects[]): Promise<void> {
  for (const { policy, binding } of pairs) {
    for (const object of [policy, binding]) {
      const collection = collectionOf(object);
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
          if (error instanceof NotFoundError) {
            const missing = String(object.kind).startsWith("Mutating")
              ? CEL_MUTATION_API_MISSING
              : CEL_POLICY_API_MISSING;
            throw new Error(`Applying ${nameOf(object)}: ${missing}`);
          }
          throw error;
        });
    }
  }
}

/** Deletes the bindings and policies of these names (a policy and its binding share one); missing ones are fine. */
export async function deleteCelPolicies(client: ApiClient, names: readonly string[]): Promise<void> {
  for (const name of names) {
    for (const collection of [...bindingCollections, ...policyCollections]) {
      await client
        .request({ method: "DELETE", path: `${collection}/${encodeURIComponent(name)}` })
        .catch((error: unknown) => {
          if (!(error instanceof NotFoundError)) throw error;
        });
    }
  }
}
