import { describe, expect, it } from "vitest";
import { defaultsReader } from "../../../src/build/chart-values.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { moduleManifests } from "../../../src/build/manifests.ts";
import { resourceNames } from "../../../src/contract/resource-names.ts";
import { RuntimeEnv } from "../../../src/contract/runtime-contract.ts";
import { description, fullModule, input } from "./fixtures.ts";

// Pepr 1.1.4's names (src/lib/assets/k8sObjects.ts, webhooks.ts, rbac.ts, networking.ts) for a
// module configured under package.json's `pepr` key.

const peprModule = {
  ...fullModule,
  config: { ...fullModule.config, namespace: "pepr-system", flavor: "pepr" as const },
};

function build(module = peprModule): KubeObject[] {
  const manifests = moduleManifests(input(module, { namespace: "pepr-system" }));
  return manifests.objects(defaultsReader(manifests.catalog));
}

interface Env {
  name: string;
  value?: string;
}
interface Workload {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    selector: unknown;
    template: { metadata: { labels: Record<string, string> }; spec: { containers: { env: Env[] }[] } };
  };
  subjects?: unknown;
  webhooks?: {
    name: string;
    namespaceSelector: { matchExpressions: unknown[] };
    clientConfig: { service?: unknown };
  }[];
}

const find = (objects: KubeObject[], kind: string, name: string) =>
  objects.find((object) => object.kind === kind && object.metadata.name === name) as unknown as Workload | undefined;
const envOf = (workload: Workload | undefined) =>
  new Map((workload?.spec.template.spec.containers[0]?.env ?? []).map((entry) => [entry.name, entry.value]));

describe("resource names per flavor", () => {
  it("Pepr mode uses Pepr's names; capstan mode keeps capstan's", () => {
    const pepr = resourceNames("u1", "pepr");
    expect({
      prefix: pepr.prefix,
      serviceAccount: pepr.serviceAccount,
      clusterRole: pepr.clusterRole,
      role: pepr.role,
      tls: pepr.tlsSecret,
      webhooks: pepr.webhookConfiguration,
      store: pepr.store,
      admission: [pepr.deployment("admission"), pepr.service("admission"), pepr.app("admission")],
      controller: [pepr.deployment("controller"), pepr.service("controller"), pepr.app("controller")],
    }).toEqual({
      prefix: "pepr-u1",
      serviceAccount: "pepr-u1",
      clusterRole: "pepr-u1",
      role: "pepr-u1-store",
      tls: "pepr-u1-tls",
      webhooks: "pepr-u1",
      store: "pepr-u1-store",
      admission: ["pepr-u1", "pepr-u1", "pepr-u1"],
      controller: ["pepr-u1-watcher", "pepr-u1-watcher", "pepr-u1-watcher"],
    });
    const capstan = resourceNames("u1", "capstan");
    expect([capstan.deployment("admission"), capstan.deployment("controller"), capstan.role, capstan.store]).toEqual([
      "capstan-u1-admission",
      "capstan-u1-controller",
      "capstan-u1",
      "capstan-u1-store",
    ]);
    expect(pepr.moduleSecret("ab".repeat(32), 1)).toBe("pepr-u1-module-abababababab-001");
  });
});

describe("Pepr-mode manifests", () => {
  it("name every object as Pepr does, in pepr-system", () => {
    const objects = build();
    const names = objects.map((object) => `${object.kind}/${object.metadata.name}`);
    expect(names).toEqual([
      "Namespace/pepr-system",
      "ServiceAccount/pepr-demo",
      "ClusterRole/pepr-demo",
      "ClusterRoleBinding/pepr-demo",
      "Role/pepr-demo-store",
      "RoleBinding/pepr-demo-store",
      `Secret/pepr-demo-module-${input(peprModule).code.sha256.slice(0, 12)}-000`,
      "Service/pepr-demo",
      "Deployment/pepr-demo",
      "PodDisruptionBudget/pepr-demo",
      "Service/pepr-demo-watcher",
      "Deployment/pepr-demo-watcher",
      "MutatingWebhookConfiguration/pepr-demo",
      "ValidatingWebhookConfiguration/pepr-demo",
    ]);
    for (const object of objects.filter((o) => o.kind !== "Namespace" && !o.kind.startsWith("Cluster"))) {
      expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe(
        object.kind.endsWith("WebhookConfiguration") ? undefined : "pepr-system",
      );
    }
  });

  it("label and select pods with Pepr's labels, and describe the module with pepr.dev/description", () => {
    const objects = build();
    for (const [name, role, app] of [
      ["pepr-demo", "admission", "pepr-demo"],
      ["pepr-demo-watcher", "watcher", "pepr-demo-watcher"],
    ] as const) {
      const deployment = find(objects, "Deployment", name);
      const selector = { app, "pepr.dev/controller": role };
      expect(deployment?.metadata.labels).toMatchObject({ ...selector, "pepr.dev/uuid": "demo" });
      expect(deployment?.metadata.labels).not.toHaveProperty("capstan.dev/uuid");
      expect(deployment?.metadata.annotations).toEqual({ "pepr.dev/description": "demo module" });
      expect(deployment?.spec.selector).toEqual({ matchLabels: selector });
      expect(deployment?.spec.template.metadata.labels).toMatchObject(selector);
      const service = find(objects, "Service", name);
      expect(service?.spec.selector).toEqual(selector);
      expect(service?.metadata.labels).toMatchObject({ "pepr.dev/controller": role });
      const env = envOf(deployment);
      expect(env.get(RuntimeEnv.flavor)).toBe("pepr");
      expect(env.get(RuntimeEnv.leaseName)).toBe("pepr-demo-watcher");
    }
    const admissionEnv = envOf(find(objects, "Deployment", "pepr-demo"));
    expect(admissionEnv.get(RuntimeEnv.tlsSecret)).toBe("pepr-demo-tls");
    expect(admissionEnv.get(RuntimeEnv.webhookService)).toBe("pepr-demo");
    expect(admissionEnv.get(RuntimeEnv.mutatingWebhooks)).toBe("pepr-demo");
    const binding = find(objects, "ClusterRoleBinding", "pepr-demo");
    expect(binding?.subjects).toEqual([{ kind: "ServiceAccount", name: "pepr-demo", namespace: "pepr-system" }]);
  });

  it("name webhook entries pepr-<uuid>.pepr.dev and pepr-<uuid>-<ns>.pepr.dev, ignoring pepr-system", () => {
    const module = {
      ...peprModule,
      config: { ...peprModule.config, additionalWebhooks: [{ namespace: "critical", failurePolicy: "Fail" as const }] },
    };
    const objects = build(module);
    for (const kind of ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]) {
      const config = find(objects, kind, "pepr-demo");
      expect(config?.metadata.labels).toMatchObject({ "pepr.dev/uuid": "demo" });
      const webhooks = config?.webhooks ?? [];
      expect(webhooks.map((webhook) => webhook.name)).toEqual(["pepr-demo.pepr.dev", "pepr-demo-critical.pepr.dev"]);
      expect(webhooks[0]?.namespaceSelector.matchExpressions[0]).toEqual({
        key: "kubernetes.io/metadata.name",
        operator: "NotIn",
        values: ["critical", "kube-system", "pepr-system"],
      });
      expect(webhooks[0]?.clientConfig.service).toMatchObject({ name: "pepr-demo", namespace: "pepr-system" });
    }
  });

  it("a capstan-mode module keeps capstan's names and labels", () => {
    const manifests = moduleManifests(input(description([...(fullModule.capabilities[0]?.bindings ?? [])])));
    const objects = manifests.objects(defaultsReader(manifests.catalog));
    const deployment = find(objects, "Deployment", "capstan-demo-admission");
    expect(deployment?.metadata.labels).toMatchObject({ "capstan.dev/uuid": "demo" });
    expect(deployment?.metadata.labels).not.toHaveProperty("pepr.dev/uuid");
    expect(deployment?.metadata.annotations).toEqual({ "capstan.dev/description": "demo module" });
    const webhooks = find(objects, "MutatingWebhookConfiguration", "capstan-demo")?.webhooks ?? [];
    expect(webhooks.map((webhook) => webhook.name)).toEqual(["mutate.capstan-demo.capstan.dev"]);
  });
});
