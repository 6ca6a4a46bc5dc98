import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { applyAll, applyObject, parseManifests } from "../../../src/build/deploy/apply.ts";
import { objectPath } from "../../../src/build/deploy/object-paths.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { ApiClient } from "../../../src/k8s/api-client.ts";
import { ApiError } from "../../../src/k8s/errors.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";
import {
  capstanFromCheckout,
  capstanInstalled,
  editPackageJson,
  helmBinary,
  installCapstan,
  packCapstan,
  run,
} from "./module-fixture.ts";

const key = (object: KubeObject) => `${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
const byKey = (objects: readonly KubeObject[]) => new Map(objects.map((object) => [key(object), object]));

/** Every `.Values.a.b` path the templates read. */
function valuePathsRead(chartDir: string): Set<string> {
  const paths = new Set<string>();
  for (const file of readdirSync(join(chartDir, "templates"))) {
    for (const match of readFileSync(join(chartDir, "templates", file), "utf8").matchAll(
      /\.Values\.([A-Za-z0-9_.]+)/g,
    )) {
      paths.add(match[1] as string);
    }
  }
  return paths;
}

/** Every leaf path of values.schema.json. */
function schemaLeaves(schema: { properties?: Record<string, unknown> }, prefix = ""): string[] {
  return Object.entries(schema.properties ?? {}).flatMap(([name, child]) => {
    const node = child as { type?: string; properties?: Record<string, unknown>; additionalProperties?: unknown };
    const path = `${prefix}${name}`;
    return node.type === "object" && node.additionalProperties === false ? schemaLeaves(node, `${path}.`) : [path];
  });
}

describe("capstan init → build → dry-run apply", () => {
  let work: string;
  let moduleDir: string;
  let client: ApiClient;
  let namespace: string;
  let objects: KubeObject[];
  let uuid: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "capstan-init-"));
    client = await adminClient();
    namespace = await freshNamespace(client, "build-e2e");
    uuid = `e2e-${namespace.slice(-8)}`;
    capstanFromCheckout(
      ["init", "--yes", "--skip-install", "--name", "hello-module", "--description", "e2e", "--uuid", uuid],
      work,
    );
    moduleDir = join(work, "hello-module");
    installCapstan(moduleDir, packCapstan(work));
    editPackageJson(moduleDir, (pkg) => {
      (pkg.capstan as Record<string, unknown>).namespace = namespace;
    });
    const output = capstanInstalled(moduleDir, ["build"]);
    expect(output).toBe("");
    objects = parseManifests(readFileSync(join(moduleDir, "dist", `capstan-module-${uuid}.yaml`), "utf8"));
  }, 600_000);

  afterAll(async () => {
    for (const object of objects ?? []) {
      if (object.metadata.namespace || object.kind === "Namespace") continue;
      await client.request({ method: "DELETE", path: objectPath(object) }).catch(() => {});
    }
    await client?.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}` }).catch(() => {});
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("writes the objects the sample capability needs, and only those", () => {
    const kinds = objects.map((object) => object.kind);
    expect(kinds).toEqual([
      "Namespace",
      "ServiceAccount",
      "ClusterRole",
      "ClusterRoleBinding",
      "Role",
      "RoleBinding",
      "Secret",
      "Secret",
      "Service",
      "Deployment",
      "PodDisruptionBudget",
      "Service",
      "Deployment",
      "MutatingWebhookConfiguration",
      "ValidatingWebhookConfiguration",
    ]);
    for (const object of objects)
      if (object.kind !== "Namespace" && object.metadata.namespace) expect(object.metadata.namespace).toBe(namespace);
  });

  it("every generated object passes a server-side dry-run apply on the real control plane", async () => {
    const validated: string[] = [];
    await applyAll(client, objects, { dryRun: true, onApplied: (object) => validated.push(key(object)) });
    expect(validated).toHaveLength(objects.length);
  });

  it("capstan deploy --dry-run validates the same objects through the CLI", () => {
    const output = capstanInstalled(moduleDir, ["deploy", "--dry-run", "--kubeconfig", inject("kubeconfig")]);
    expect(output).toBe("");
  });

  it("the Helm chart renders to the same objects as the static YAML, and its schema matches what it reads", () => {
    const helm = helmBinary();
    const chartDir = join(moduleDir, "dist", `${uuid}-chart`);
    const rendered = parseManifests(run(helm, ["template", "release", chartDir], moduleDir));
    const expected = byKey(objects);
    expect([...byKey(rendered).keys()].sort()).toEqual([...expected.keys()].sort());
    for (const object of rendered) expect(object).toEqual(expected.get(key(object)));

    const schema = JSON.parse(readFileSync(join(chartDir, "values.schema.json"), "utf8"));
    expect([...valuePathsRead(chartDir)].sort()).toEqual(schemaLeaves(schema).sort());

    const overridden = parseManifests(
      run(
        helm,
        ["template", "release", chartDir, "--set", "admission.replicas=3", "--set", "controller.nodeSelector.disk=ssd"],
        moduleDir,
      ),
    );
    const deployments = overridden.filter((object) => object.kind === "Deployment") as unknown as {
      spec: { replicas: number; template: { spec: { nodeSelector: object } } };
    }[];
    expect(deployments.map((deployment) => deployment.spec.replicas)).toEqual([3, 2]);
    expect(deployments[1]?.spec.template.spec.nodeSelector).toEqual({ disk: "ssd" });
    expect(() => run(helm, ["template", "release", chartDir, "--set", "admission.replica=3"], moduleDir)).toThrow(
      /additional properties|admission/i,
    );
    expect(() => run(helm, ["template", "release", chartDir, "--set", "admission.replicas=many"], moduleDir)).toThrow(
      /integer|replicas/i,
    );
  });
});

/** What a request as the module's ServiceAccount answers: the HTTP status (200 family as 200). */
async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    if (error instanceof ApiError) return error.status;
    throw error;
  }
}

describe("generated RBAC, used through a TokenRequest token of the generated ServiceAccount", () => {
  let work: string;
  let moduleDir: string;
  let admin: ApiClient;
  let namespace: string;
  let objects: KubeObject[];
  let uuid: string;
  let asModule: ApiClient;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "capstan-rbac-"));
    admin = await adminClient();
    namespace = await freshNamespace(admin, "build-rbac");
    uuid = `rbac-${namespace.slice(-8)}`;
    capstanFromCheckout(["init", "--yes", "--skip-install", "--name", "rbac-module", "--uuid", uuid], work);
    moduleDir = join(work, "rbac-module");
    installCapstan(moduleDir, packCapstan(work));
    editPackageJson(moduleDir, (pkg) => {
      (pkg.capstan as Record<string, unknown>).namespace = namespace;
    });
    capstanInstalled(moduleDir, ["build", "--no-typecheck"]);
    objects = parseManifests(readFileSync(join(moduleDir, "dist", `capstan-module-${uuid}.yaml`), "utf8"));
    // RBAC and the webhook configurations for real (the webhooks only match ConfigMaps in the sample's
    // own namespace "hello-capstan", which no test uses); no Deployment, Service or module Secret.
    const real = new Set([
      "ServiceAccount",
      "ClusterRole",
      "ClusterRoleBinding",
      "Role",
      "RoleBinding",
      "MutatingWebhookConfiguration",
      "ValidatingWebhookConfiguration",
    ]);
    for (const object of objects) if (real.has(object.kind)) await applyObject(admin, object);
    const token = await admin.request<{ status: { token: string } }>({
      method: "POST",
      path: `/api/v1/namespaces/${namespace}/serviceaccounts/capstan-${uuid}/token`,
      body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 600 } },
    });
    asModule = new ApiClient({
      server: admin.connection.server,
      tls: { ...(admin.connection.tls.ca ? { ca: admin.connection.tls.ca } : {}), rejectUnauthorized: true },
      headers: async () => ({ authorization: `Bearer ${token.status.token}` }),
    });
  }, 600_000);

  afterAll(async () => {
    for (const object of objects ?? []) {
      if (object.metadata.namespace || object.kind === "Namespace") continue;
      await admin.request({ method: "DELETE", path: objectPath(object) }).catch(() => {});
    }
    await admin?.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}` }).catch(() => {});
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("grants cluster-wide only what the bindings need: read on the watched kind, Events, its own webhooks by name", () => {
    const clusterRole = objects.find((object) => object.kind === "ClusterRole") as unknown as {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[];
    };
    const unnamed = clusterRole.rules.filter((rule) => !rule.resourceNames);
    expect(unnamed).toEqual([
      { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
      { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
    ]);
    const named = clusterRole.rules.filter((rule) => rule.resourceNames);
    expect(named.map((rule) => [rule.resources, rule.resourceNames])).toEqual([
      [["mutatingwebhookconfigurations"], [`capstan-${uuid}`]],
      [["validatingwebhookconfigurations"], [`capstan-${uuid}`]],
    ]);
    expect(JSON.stringify(objects)).not.toContain('"*"');
  });

  it("is enough for what the module does: watch ConfigMaps, Events, Leases, its TLS Secret and caBundle", async () => {
    const ns = `/api/v1/namespaces/${namespace}`;
    expect(await statusOf(asModule.request({ path: "/api/v1/configmaps", query: { limit: 1 } }))).toBe(200);
    const watch = await asModule.stream({ path: "/api/v1/configmaps", query: { watch: true, timeoutSeconds: 1 } });
    watch.body.destroy();
    const event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { generateName: "capstan-" },
      involvedObject: { kind: "ConfigMap", namespace, name: "x" },
      reason: "Test",
      message: "rbac test",
      type: "Normal",
    };
    expect(await statusOf(asModule.request({ method: "POST", path: `${ns}/events`, body: event }))).toBe(200);
    const lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: `capstan-${uuid}-controller` },
      spec: {},
    };
    const leases = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
    expect(await statusOf(asModule.request({ method: "POST", path: leases, body: lease }))).toBe(200);
    expect(await statusOf(asModule.request({ path: `${leases}/capstan-${uuid}-controller` }))).toBe(200);
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `capstan-${uuid}-tls` },
      data: { "tls.crt": "" },
    };
    expect(await statusOf(asModule.request({ method: "POST", path: `${ns}/secrets`, body: secret }))).toBe(200);
    expect(await statusOf(asModule.request({ path: `${ns}/secrets/capstan-${uuid}-tls` }))).toBe(200);
    expect(
      await statusOf(asModule.request({ method: "PUT", path: `${ns}/secrets/capstan-${uuid}-tls`, body: secret })),
    ).toBe(200);
    const webhook = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/capstan-${uuid}`;
    const config = await asModule.request<{ webhooks: { clientConfig: Record<string, unknown> }[] }>({ path: webhook });
    for (const entry of config.webhooks) entry.clientConfig.caBundle = Buffer.from("not a real CA").toString("base64");
    expect(await statusOf(asModule.request({ method: "PUT", path: webhook, body: config }))).toBe(200);
  });

  it("is refused everything else (403)", async () => {
    const ns = `/api/v1/namespaces/${namespace}`;
    const refused = [
      asModule.request({ path: `${ns}/secrets` }),
      asModule.request({ path: "/api/v1/namespaces/default/secrets/anything" }),
      asModule.request({ path: "/api/v1/pods" }),
      asModule.request({ method: "POST", path: `${ns}/configmaps`, body: { metadata: { name: "x" } } }),
      asModule.request({ path: "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations" }),
      asModule.request({
        method: "DELETE",
        path: `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/capstan-${uuid}`,
      }),
      asModule.request({ path: "/apis/rbac.authorization.k8s.io/v1/clusterroles" }),
      asModule.request({ path: "/apis/coordination.k8s.io/v1/namespaces/default/leases" }),
    ];
    expect(await Promise.all(refused.map(statusOf))).toEqual(refused.map(() => 403));
  });
});
