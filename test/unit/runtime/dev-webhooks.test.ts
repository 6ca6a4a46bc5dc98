import { describe, expect, it } from "vitest";
import type { ApiClient, ApiRequest } from "../../../src/k8s/api-client.ts";
import { DevWebhooks, failOpen } from "../../../src/runtime/dev-webhooks.ts";

const configs = {
  mutating: { metadata: { name: "capstan-x" }, webhooks: [{ name: "a", failurePolicy: "Fail" }] },
  validating: { metadata: { name: "capstan-x" }, webhooks: [{ name: "b", failurePolicy: "Fail" }] },
};

function recordingClient() {
  const requests: ApiRequest[] = [];
  const client = {
    request: async (request: ApiRequest) => {
      requests.push(request);
      return {};
    },
  } as unknown as ApiClient;
  return { client, requests };
}

describe("dev webhooks", () => {
  it("fail open by setting every webhook's failurePolicy to Ignore and nothing else", () => {
    const open = failOpen(configs);
    expect(open.mutating?.webhooks).toEqual([{ name: "a", failurePolicy: "Ignore" }]);
    expect(open.validating?.webhooks).toEqual([{ name: "b", failurePolicy: "Ignore" }]);
    expect(configs.mutating.webhooks[0]?.failurePolicy).toBe("Fail");
  });

  it("write only what changed, fail open and back, and everything again after invalidate", async () => {
    const { client, requests } = recordingClient();
    const webhooks = new DevWebhooks("capstan-x");
    await webhooks.sync(client);
    expect(requests).toHaveLength(0);

    webhooks.serve(configs);
    await webhooks.sync(client);
    expect(requests.map((r) => r.path)).toEqual([
      "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/capstan-x",
      "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/capstan-x",
    ]);
    webhooks.serve(structuredClone(configs));
    await webhooks.sync(client);
    expect(requests).toHaveLength(2);

    webhooks.failOpen();
    await webhooks.sync(client);
    expect(requests).toHaveLength(4);
    expect(requests[3]?.body).toMatchObject({ webhooks: [{ failurePolicy: "Ignore" }] });

    // A module without Validate bindings any more: its validating configuration goes.
    webhooks.serve({ mutating: configs.mutating });
    await webhooks.sync(client);
    expect(requests.slice(4).map((r) => r.method)).toEqual(["PATCH", "DELETE"]);

    webhooks.invalidate();
    await webhooks.sync(client);
    expect(requests.slice(6).map((r) => r.method)).toEqual(["PATCH"]);
  });

  it("apply ValidateCEL policies (kept while no process serves), delete the ones gone, and name them for removal", async () => {
    const { client, requests } = recordingClient();
    const pair = (name: string, expression = "true") => ({
      policy: { kind: "ValidatingAdmissionPolicy", metadata: { name }, spec: { validations: [{ expression }] } },
      binding: { kind: "ValidatingAdmissionPolicyBinding", metadata: { name }, spec: { policyName: name } },
    });
    const webhooks = new DevWebhooks("capstan-x");
    webhooks.serve({}, [pair("capstan-x-c-0-validate-cel-pod"), pair("capstan-x-c-1-validate-cel-pod")]);
    await webhooks.sync(client);
    const VAP = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies";
    const VAPB = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings";
    const MAP = "/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicies";
    const MAPB = "/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicybindings";
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `PATCH ${VAP}/capstan-x-c-0-validate-cel-pod`,
      `PATCH ${VAPB}/capstan-x-c-0-validate-cel-pod`,
      `PATCH ${VAP}/capstan-x-c-1-validate-cel-pod`,
      `PATCH ${VAPB}/capstan-x-c-1-validate-cel-pod`,
    ]);
    webhooks.failOpen();
    await webhooks.sync(client);
    expect(requests).toHaveLength(4);

    webhooks.serve({}, [pair("capstan-x-c-0-validate-cel-pod", "false")]);
    await webhooks.sync(client);
    expect(requests.slice(4).map((r) => `${r.method} ${r.path}`)).toEqual([
      // A name alone does not say which kind it was: both kinds' objects of that name are deleted.
      `DELETE ${VAPB}/capstan-x-c-1-validate-cel-pod`,
      `DELETE ${MAPB}/capstan-x-c-1-validate-cel-pod`,
      `DELETE ${VAP}/capstan-x-c-1-validate-cel-pod`,
      `DELETE ${MAP}/capstan-x-c-1-validate-cel-pod`,
      `PATCH ${VAP}/capstan-x-c-0-validate-cel-pod`,
      `PATCH ${VAPB}/capstan-x-c-0-validate-cel-pod`,
    ]);
    expect(webhooks.policyNames).toEqual(["capstan-x-c-0-validate-cel-pod"]);
  });
});
