import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { parseManifests } from "../../../src/build/deploy/apply.ts";
import { helmChart } from "../../../src/build/helm-chart.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { moduleManifests } from "../../../src/build/manifests.ts";
import { adminClient, eventually } from "../../support/cluster.ts";
import { fullModule, input } from "../../unit/build/fixtures.ts";
import { helmBinary, run } from "./module-fixture.ts";

// A Pepr-mode module's chart with a values file that sets every Pepr 1.1.4 value (plus the
// webhookAnnotations/webhookLabels and startupProbe later Pepr releases added), rendered by a real
// helm and dry-run installed against the test control plane.

// Its own namespace: other tests on the shared control plane create pepr-system, which helm would
// then refuse to adopt into this release.
const moduleNamespace = `pepr-helm-${randomBytes(3).toString("hex")}`;
const pepr = { ...fullModule, config: { ...fullModule.config, flavor: "pepr" as const, namespace: moduleNamespace } };
const manifests = moduleManifests(input(pepr, { namespace: moduleNamespace }));

const probe = (path: string, periodSeconds: number) => ({
  httpGet: { path, port: 3000, scheme: "HTTPS" },
  initialDelaySeconds: 3,
  periodSeconds,
});

function role(name: "admission" | "watcher") {
  return {
    enabled: true,
    image: `registry.example.com/custom/${name}:1.2.3`,
    env: [{ name: "PEPR_RECONCILE_STRATEGY", value: "kind" }],
    envFrom: [{ configMapRef: { name: `${name}-settings` } }],
    labels: { tier: name },
    annotations: { "example.com/owner": "platform" },
    podLabels: { zone: `${name}-zone` },
    podAnnotations: { "example.com/scrape": "enabled" },
    nodeSelector: { disk: "ssd" },
    tolerations: [{ key: "dedicated", operator: "Exists", effect: "NoSchedule" }],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: "arch", operator: "In", values: ["amd64"] }] }],
        },
      },
    },
    securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true },
    containerSecurityContext: { runAsUser: 1000, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
    terminationGracePeriodSeconds: 7,
    startupProbe: probe("/healthz", 4),
    readinessProbe: probe("/readyz", 6),
    livenessProbe: probe("/healthz", 20),
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1", memory: "1Gi" } },
    extraVolumes: [{ name: "extra", configMap: { name: `${name}-files` } }],
    extraVolumeMounts: [{ name: "extra", mountPath: "/extra", readOnly: true }],
    serviceMonitor: { enabled: true, labels: { release: "prometheus" }, annotations: { "example.com/scrape": "1m" } },
  };
}

const values = {
  imagePullSecrets: ["private-registry"],
  additionalIgnoredNamespaces: ["istio-system", "flux-system"],
  rbac: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }],
  namespace: { labels: { "pepr.dev": "", team: "platform" }, annotations: { "example.com/owner": "platform" } },
  uuid: "demo",
  hash: "f".repeat(64),
  secrets: { apiPath: Buffer.from("0123abcd").toString("base64") },
  admission: {
    ...role("admission"),
    antiAffinity: true,
    failurePolicy: "Ignore",
    webhookTimeout: 15,
    webhookAnnotations: { "example.com/reviewed": "by-platform" },
    webhookLabels: { "example.com/audit": "enabled" },
  },
  watcher: role("watcher"),
};

type Pod = {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  spec: {
    nodeSelector: object;
    tolerations: object[];
    affinity: Record<string, unknown>;
    securityContext: object;
    terminationGracePeriodSeconds: number;
    imagePullSecrets: object[];
    volumes: { name: string }[];
    containers: {
      image: string;
      env: { name: string; value?: string }[];
      envFrom: object[];
      resources: object;
      securityContext: object;
      startupProbe: object;
      readinessProbe: object;
      livenessProbe: object;
      volumeMounts: { name: string; mountPath: string }[];
    }[];
  };
};
type Deployment = KubeObject & {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  spec: { template: Pod };
};
type Webhooks = KubeObject & {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  webhooks: {
    failurePolicy: string;
    timeoutSeconds: number;
    clientConfig: { service: { path: string } };
    namespaceSelector: { matchExpressions: { key: string; operator: string; values: string[] }[] };
  }[];
};

/** The prometheus-operator's ServiceMonitor kind, as far as an API server needs to know it for a dry run. */
async function installServiceMonitorKind(): Promise<void> {
  const client = await adminClient();
  try {
    await client
      .request({
        method: "POST",
        path: "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        body: {
          apiVersion: "apiextensions.k8s.io/v1",
          kind: "CustomResourceDefinition",
          metadata: { name: "servicemonitors.monitoring.coreos.com" },
          spec: {
            group: "monitoring.coreos.com",
            scope: "Namespaced",
            names: {
              plural: "servicemonitors",
              singular: "servicemonitor",
              kind: "ServiceMonitor",
              listKind: "ServiceMonitorList",
            },
            versions: [
              {
                name: "v1",
                served: true,
                storage: true,
                schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
              },
            ],
          },
        },
      })
      .catch((error: unknown) => {
        if ((error as { status?: number }).status !== 409) throw error;
      });
    await eventually(() => client.request({ method: "GET", path: "/apis/monitoring.coreos.com/v1" }), {
      timeoutMs: 30_000,
    });
  } finally {
    await client.close();
  }
}

function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} was not rendered`);
  return found;
}

/** Every Deployment value of the values file, where Pepr's chart puts it. */
function expectDeploymentValues(objects: KubeObject[]): void {
  for (const [name, key] of [
    ["pepr-demo", "admission"],
    ["pepr-demo-watcher", "watcher"],
  ] as const) {
    const expected = role(key);
    const deployment = find(objects, "Deployment", name) as Deployment;
    expect(deployment.metadata.labels).toMatchObject({ tier: key, "pepr.dev/controller": key, app: name });
    expect(deployment.metadata.annotations).toMatchObject({ "example.com/owner": "platform" });
    expect(deployment.metadata.annotations["pepr.dev/description"]).toBe("demo module");
    const pod = deployment.spec.template;
    expect(pod.metadata.labels).toMatchObject({ zone: `${key}-zone`, app: name, "pepr.dev/controller": key });
    expect(pod.metadata.annotations).toEqual(expected.podAnnotations);
    expect(pod.spec.nodeSelector).toEqual(expected.nodeSelector);
    expect(pod.spec.tolerations).toEqual(expected.tolerations);
    expect(pod.spec.securityContext).toMatchObject(expected.securityContext);
    expect(pod.spec.terminationGracePeriodSeconds).toBe(7);
    expect(pod.spec.imagePullSecrets).toEqual([{ name: "private-registry" }]);
    expect(pod.spec.volumes.map((volume) => volume.name)).toContain("extra");
    const [container] = pod.spec.containers;
    expect(container?.image).toBe(expected.image);
    expect(container?.env).toContainEqual({ name: "PEPR_RECONCILE_STRATEGY", value: "kind" });
    expect(container?.env).toContainEqual({
      name: "PEPR_ADDITIONAL_IGNORED_NAMESPACES",
      value: "istio-system,flux-system",
    });
    expect(container?.env).toContainEqual({ name: "CAPSTAN_MODULE_SHA256", value: "f".repeat(64) });
    expect(container?.envFrom).toEqual(expected.envFrom);
    expect(container?.resources).toEqual(expected.resources);
    expect(container?.securityContext).toMatchObject(expected.containerSecurityContext);
    expect(container?.startupProbe).toMatchObject(expected.startupProbe);
    expect(container?.readinessProbe).toMatchObject(expected.readinessProbe);
    expect(container?.livenessProbe).toMatchObject(expected.livenessProbe);
    expect(container?.volumeMounts).toContainEqual({ name: "extra", mountPath: "/extra", readOnly: true });
  }
  const admission = (find(objects, "Deployment", "pepr-demo") as Deployment).spec.template.spec;
  // antiAffinity adds Pepr's required podAntiAffinity beside the affinity given.
  expect(admission.affinity.nodeAffinity).toEqual(values.admission.affinity.nodeAffinity);
  expect(admission.affinity.podAntiAffinity).toEqual({
    requiredDuringSchedulingIgnoredDuringExecution: [
      {
        labelSelector: { matchLabels: { app: "pepr-demo", "pepr.dev/controller": "admission" } },
        topologyKey: "kubernetes.io/hostname",
      },
    ],
  });
  const admissionEnv = admission.containers[0]?.env ?? [];
  expect(admissionEnv).toContainEqual({ name: "CAPSTAN_API_PATH", value: "0123abcd" });
}

/** The global values, the webhook values and the ServiceMonitors. */
function expectGlobalValues(objects: KubeObject[]): void {
  const namespace = find(objects, "Namespace", moduleNamespace);
  expect(namespace.metadata.labels).toEqual(values.namespace.labels);
  expect(namespace.metadata.annotations).toEqual(values.namespace.annotations);
  expect((find(objects, "ClusterRole", "pepr-demo") as KubeObject & { rules: unknown }).rules).toEqual(values.rbac);
  for (const kind of ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]) {
    const config = find(objects, kind, "pepr-demo") as Webhooks;
    expect(config.metadata.labels).toMatchObject({ "example.com/audit": "enabled", "pepr.dev/uuid": "demo" });
    expect(config.metadata.annotations).toEqual({ "example.com/reviewed": "by-platform" });
    for (const webhook of config.webhooks) {
      expect(webhook.failurePolicy).toBe("Ignore");
      expect(webhook.timeoutSeconds).toBe(15);
      expect(webhook.clientConfig.service.path).toMatch(/^\/(mutate|validate)\/0123abcd$/);
      const ignored = webhook.namespaceSelector.matchExpressions.find((term) => term.operator === "NotIn");
      expect(ignored?.values).toEqual(
        expect.arrayContaining(["kube-system", moduleNamespace, "istio-system", "flux-system"]),
      );
    }
  }
  for (const [name, scheme] of [
    ["pepr-demo", "https"],
    ["pepr-demo-watcher", "http"],
  ] as const) {
    const monitor = find(objects, "ServiceMonitor", name) as KubeObject & {
      metadata: { annotations: object };
      spec: { selector: { matchLabels: object }; endpoints: { scheme: string; targetPort: number }[] };
    };
    expect(monitor.metadata.labels).toMatchObject({ release: "prometheus" });
    expect(monitor.metadata.annotations).toEqual({ "example.com/scrape": "1m" });
    const service = find(objects, "Service", name) as KubeObject & { spec: { selector: object } };
    expect(monitor.spec.selector.matchLabels).toEqual(service.spec.selector);
    expect(monitor.spec.endpoints[0]).toMatchObject({ scheme, targetPort: 3000, path: "/metrics" });
  }
}

describe("Pepr's Helm values on a Pepr-mode module's chart", () => {
  let helm: string;
  let dir: string;
  let chartDir: string;
  let valuesFile: string;

  const template = (...args: string[]) =>
    parseManifests(run(helm, ["template", "release", chartDir, "--namespace", moduleNamespace, ...args], dir));

  beforeAll(async () => {
    helm = helmBinary();
    await installServiceMonitorKind();
    dir = mkdtempSync(join(tmpdir(), "capstan-helm-pepr-"));
    chartDir = join(dir, "chart");
    for (const file of helmChart(manifests, { name: "demo", version: "0.1.0", appVersion: "0.1.0", description: "" })) {
      mkdirSync(dirname(join(chartDir, file.path)), { recursive: true });
      writeFileSync(join(chartDir, file.path), file.content);
    }
    valuesFile = join(dir, "pepr-values.yaml");
    writeFileSync(valuesFile, stringify(values));
  }, 600_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Helm merges a map value with the chart's default map (securityContext, probes): as in Pepr's chart.
  it("renders each Deployment value where Pepr puts it", () => {
    expectDeploymentValues(template("-f", valuesFile));
  });

  it("renders the global values, the webhook values and the ServiceMonitors", () => {
    expectGlobalValues(template("-f", valuesFile));
  });

  it("leaves a role out when <role>.enabled is false, and ServiceMonitors out by default", () => {
    const objects = template("-f", valuesFile, "--set", "watcher.enabled=false");
    expect(objects.filter((object) => object.metadata.name === "pepr-demo-watcher")).toEqual([]);
    expect(
      objects.find((object) => object.metadata.name === "pepr-demo" && object.kind === "Deployment"),
    ).toBeDefined();
    expect(template().filter((object) => object.kind === "ServiceMonitor")).toEqual([]);
    // Without the watcher, admission creates and rotates the webhook certificates itself.
    const manages = (objects: KubeObject[]) =>
      (find(objects, "Deployment", "pepr-demo") as Deployment).spec.template.spec.containers[0]?.env.find(
        (entry) => entry.name === "CAPSTAN_MANAGE_CERTIFICATES",
      )?.value;
    expect(manages(objects)).toBe("true");
    expect(manages(template())).toBe("false");
  });

  it("helm install --dry-run against the API server accepts the values file", () => {
    const output = run(
      helm,
      [
        "install",
        "pepr-values",
        chartDir,
        "-f",
        valuesFile,
        "--namespace",
        moduleNamespace,
        "--dry-run",
        "--kubeconfig",
        inject("kubeconfig"),
      ],
      dir,
    );
    expect(output).toMatch(/STATUS: pending-install/);
    const manifest = parseManifests(output.slice(output.indexOf("---")));
    expectDeploymentValues(manifest);
    expectGlobalValues(manifest);
    expect(
      (find(manifest, "Deployment", "pepr-demo-watcher") as Deployment).spec.template.spec.containers[0]?.image,
    ).toBe(values.watcher.image);
  });

  it("refuses a misspelt key, a wrong type and another module's uuid, naming the key", () => {
    expect(() => template("-f", valuesFile, "--set", "watcher.podLabel.a=b")).toThrow(/podLabel/);
    expect(() => template("-f", valuesFile, "--set", "watcher.podLabel.a=b")).toThrow(/additional propert/i);
    expect(() => template("--set", "admision.enabled=false")).toThrow(/admision/);
    expect(() => template("--set", "admission.webhookTimeout=60")).toThrow(/webhookTimeout/);
    expect(() => template("--set", "watcher.envFrom=x")).toThrow(/envFrom/);
    expect(() => template("--set", "uuid=other")).toThrow(/uuid: this chart was built for module demo/);
  });
});
