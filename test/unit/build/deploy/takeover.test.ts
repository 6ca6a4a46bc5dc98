import { describe, expect, it } from "vitest";
import {
  acceptingPeprPath,
  longestWebhookTimeoutMs,
  peprLeftovers,
  splitWebhooks,
} from "../../../../src/build/deploy/takeover.ts";
import type { KubeObject } from "../../../../src/build/manifest-input.ts";
import { RuntimeEnv } from "../../../../src/contract/runtime-contract.ts";

const pepr = { uuid: "demo", namespace: "pepr-system", apiPath: "a".repeat(64) };

function deployment(name: string, env: { name: string; value: string }[]): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "pepr-system", labels: { "pepr.dev/uuid": "demo" } },
    spec: { template: { spec: { containers: [{ name: "runtime", env }] } } },
  };
}

const webhook = (kind: string, timeoutSeconds?: number): KubeObject =>
  ({
    apiVersion: "admissionregistration.k8s.io/v1",
    kind,
    metadata: { name: "pepr-demo" },
    webhooks: [{ name: "pepr-demo.pepr.dev", clientConfig: {}, ...(timeoutSeconds ? { timeoutSeconds } : {}) }],
  }) as KubeObject;

describe("takeover of a Pepr deployment", () => {
  it("lets only the admission role also accept Pepr's webhook path", () => {
    const admission = deployment("pepr-demo", [{ name: RuntimeEnv.apiPath, value: "capstan-path" }]);
    const controller = deployment("pepr-demo-watcher", [{ name: RuntimeEnv.role, value: "controller" }]);
    const [patched, untouched] = acceptingPeprPath([admission, controller], pepr);
    const env = (object: KubeObject | undefined) =>
      (
        (object as KubeObject).spec as {
          template: { spec: { containers: { env: { name: string; value: string }[] }[] } };
        }
      ).template.spec.containers[0]?.env;
    expect(env(patched)).toContainEqual({ name: RuntimeEnv.takeoverApiPath, value: pepr.apiPath });
    expect(env(patched)).toContainEqual({ name: RuntimeEnv.apiPath, value: "capstan-path" });
    expect(untouched).toBe(controller);
    expect(env(admission)).toHaveLength(1);
  });

  it("names Pepr's objects the build does not replace, never the TLS Secret capstan took over", () => {
    const built = [
      deployment("pepr-demo", []),
      { apiVersion: "v1", kind: "Service", metadata: { name: "pepr-demo", namespace: "pepr-system" } },
      webhook("MutatingWebhookConfiguration"),
    ] as KubeObject[];
    const leftovers = peprLeftovers(pepr, built).map((o) => `${o.kind} ${o.metadata.name}`);
    expect(leftovers).toEqual(
      expect.arrayContaining([
        "Secret pepr-demo-api-path",
        "Secret pepr-demo-module",
        "Deployment pepr-demo-watcher",
        "Service pepr-demo-watcher",
        "ValidatingWebhookConfiguration pepr-demo",
      ]),
    );
    expect(leftovers).not.toContain("Secret pepr-demo-tls");
    expect(leftovers).not.toContain("Deployment pepr-demo");
    expect(leftovers).not.toContain("Service pepr-demo");
    expect(leftovers).not.toContain("MutatingWebhookConfiguration pepr-demo");
  });

  it("applies webhook configurations apart and drains for the longest webhook timeout", () => {
    const objects = [
      deployment("pepr-demo", []),
      webhook("MutatingWebhookConfiguration", 25),
      webhook("ValidatingWebhookConfiguration"),
    ];
    const { webhooks, rest } = splitWebhooks(objects);
    expect(rest.map((o) => o.kind)).toEqual(["Deployment"]);
    expect(webhooks.map((o) => o.kind)).toEqual(["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]);
    expect(longestWebhookTimeoutMs(webhooks)).toBe(25_000);
    expect(longestWebhookTimeoutMs([])).toBe(0);
  });
});
