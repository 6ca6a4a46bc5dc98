import { describe, expect, it } from "vitest";
import { defaultsReader } from "../../../src/build/chart-values.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { moduleManifests } from "../../../src/build/manifests.ts";
import {
  HEALTH_PATH,
  READY_PATH,
  RUNTIME_ENTRY,
  RUNTIME_NODE_FLAGS,
  RuntimeEnv,
} from "../../../src/contract/runtime-contract.ts";
import { binding, configMap, description, fullModule, input, pod } from "./fixtures.ts";

function build(module = fullModule, extra = {}): KubeObject[] {
  const manifests = moduleManifests(input(module, extra));
  return manifests.objects(defaultsReader(manifests.catalog));
}

const kinds = (objects: KubeObject[]) => objects.map((object) => `${object.kind}/${object.metadata.name}`);

interface Container {
  command: string[];
  env: { name: string; value?: string }[];
  startupProbe: { httpGet: { path: string; scheme: string } };
  readinessProbe: { httpGet: { path: string } };
  livenessProbe: { httpGet: { path: string } };
  securityContext: { allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean };
}
interface Deployment {
  spec: {
    replicas: number;
    template: { spec: { securityContext: { runAsNonRoot: boolean }; containers: Container[] } };
  };
}
const deployment = (objects: KubeObject[], role: string) =>
  objects.find(
    (object) => object.kind === "Deployment" && object.metadata.name.endsWith(role),
  ) as unknown as Deployment;
const env = (container: Container | undefined) => new Map(container?.env.map((entry) => [entry.name, entry.value]));

describe("module manifests", () => {
  it("a module with admission and watch bindings gets both roles, webhooks, a PDB and no Store CRD", () => {
    expect(kinds(build())).toEqual([
      "Namespace/capstan-system",
      "ServiceAccount/capstan-demo",
      "ClusterRole/capstan-demo",
      "ClusterRoleBinding/capstan-demo",
      "Role/capstan-demo",
      "RoleBinding/capstan-demo",
      `Secret/capstan-demo-module-${input(fullModule).code.sha256.slice(0, 12)}-000`,
      "Service/capstan-demo-admission",
      "Deployment/capstan-demo-admission",
      "PodDisruptionBudget/capstan-demo-admission",
      "Service/capstan-demo-controller",
      "Deployment/capstan-demo-controller",
      "MutatingWebhookConfiguration/capstan-demo",
      "ValidatingWebhookConfiguration/capstan-demo",
    ]);
  });

  it("a watch-only module gets no admission Deployment, Service, PDB or webhooks", () => {
    const names = kinds(build(description([binding("watch", configMap)])));
    expect(names.filter((name) => /admission|Webhook|PodDisruption/.test(name))).toEqual([]);
    expect(names).toContain("Deployment/capstan-demo-controller");
  });

  it("an admission-only module gets no controller, and its admission role manages the certificates", () => {
    const objects = build(description([binding("validate", pod)]));
    expect(kinds(objects).filter((name) => name.includes("controller"))).toEqual([]);
    expect(kinds(objects)).not.toContain("MutatingWebhookConfiguration/capstan-demo");
    expect(
      env(deployment(objects, "admission").spec.template.spec.containers[0]).get(RuntimeEnv.manageCertificates),
    ).toBe("true");
  });

  it("ships the Store CRD only when the Store or a schedule is used", () => {
    const watch = [binding("watch", configMap)];
    expect(kinds(build(description(watch))).some((name) => name.startsWith("CustomResourceDefinition"))).toBe(false);
    expect(kinds(build(description(watch, { storeUsed: true })))).toContain(
      "CustomResourceDefinition/capstanstores.capstan.dev",
    );
    const scheduled = description([], {
      capabilities: [{ name: "tick", description: "", namespaces: [], hasSchedule: true, bindings: [] }],
    });
    expect(kinds(build(scheduled))).toContain("CustomResourceDefinition/capstanstores.capstan.dev");
    expect(kinds(build(scheduled))).toContain("Deployment/capstan-demo-controller");
  });

  it("Deployments run the runtime contract: command, env, probes, 2 replicas, non-root", () => {
    const objects = build();
    for (const role of ["admission", "controller"]) {
      const { spec } = deployment(objects, role);
      const container = spec.template.spec.containers[0] as Container;
      expect(spec.replicas).toBe(2);
      expect(container.command).toEqual(["node", ...RUNTIME_NODE_FLAGS, RUNTIME_ENTRY, "--role", role]);
      const variables = env(container);
      expect(variables.get(RuntimeEnv.role)).toBe(role);
      expect(variables.get(RuntimeEnv.uuid)).toBe("demo");
      expect(variables.get(RuntimeEnv.namespace)).toBe("capstan-system");
      expect(variables.get(RuntimeEnv.moduleSha256)).toBe(input(fullModule).code.sha256);
      expect(variables.get(RuntimeEnv.moduleDir)).toBe("/app/module-chunks");
      expect(container.startupProbe.httpGet.path).toBe(HEALTH_PATH);
      expect(container.startupProbe.httpGet.scheme).toBe(role === "admission" ? "HTTPS" : "HTTP");
      expect(container.readinessProbe.httpGet.path).toBe(READY_PATH);
      expect(container.livenessProbe.httpGet.path).toBe(HEALTH_PATH);
      expect(spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      expect(container.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
      });
    }
    expect(
      env(deployment(objects, "controller").spec.template.spec.containers[0]).get(RuntimeEnv.manageCertificates),
    ).toBe("true");
    expect(
      env(deployment(objects, "admission").spec.template.spec.containers[0]).get(RuntimeEnv.manageCertificates),
    ).toBe("false");
  });

  it("webhook configurations point at the admission Service and leave caBundle to the runtime", () => {
    const objects = build();
    const webhooks = objects.filter((object) => object.kind.endsWith("WebhookConfiguration")) as unknown as {
      webhooks: { clientConfig: { caBundle?: string; service: { name: string; namespace: string; path: string } } }[];
    }[];
    for (const config of webhooks) {
      for (const webhook of config.webhooks) {
        expect(webhook.clientConfig.caBundle).toBeUndefined();
        expect(webhook.clientConfig.service).toMatchObject({
          name: "capstan-demo-admission",
          namespace: "capstan-system",
        });
      }
    }
    const apiPath = env(deployment(objects, "admission").spec.template.spec.containers[0]).get(RuntimeEnv.apiPath);
    expect(webhooks[0]?.webhooks[0]?.clientConfig.service.path).toBe(`/mutate/${apiPath}`);
  });

  it("optional anti-affinity keeps admission replicas on different nodes", () => {
    const objects = build(fullModule, { antiAffinity: true });
    const spec = (
      deployment(objects, "admission") as unknown as { spec: { template: { spec: { affinity: unknown } } } }
    ).spec;
    expect(spec.template.spec.affinity).toMatchObject({
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname" }] },
    });
    const plain = deployment(build(), "admission") as unknown as {
      spec: { template: { spec: { affinity: unknown } } };
    };
    expect(plain.spec.template.spec.affinity).toEqual({});
  });
});
