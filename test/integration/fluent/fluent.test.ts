import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { K8s, LogsUnavailableError, setDefaultClient } from "../../../src/fluent/index.ts";
import { sharedInformer } from "../../../src/informer/index.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ApiError, ConflictError, NotFoundError } from "../../../src/k8s/errors.ts";
import { kindOf, RegisterKind, unregisterKind } from "../../../src/k8s/kinds.ts";
import { ConfigMap, Deployment, GenericKind, Pod, Service } from "../../../src/k8s/models.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

let client: ApiClient;
let ns: string;

beforeAll(async () => {
  client = await adminClient();
  setDefaultClient(client);
  ns = await freshNamespace(client, "fluent");
});

afterAll(async () => {
  setDefaultClient(undefined);
  await client.close();
});

const configMap = (name: string, data: Record<string, string> = {}, labels: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: ns, labels },
  data,
});

const deployment = (name: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: ns },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "busybox" }] } },
  },
});

describe("K8s fluent client", () => {
  it("creates, gets one, and lists with label and field filters", async () => {
    await K8s(ConfigMap).Create(configMap("get-a", { k: "a" }, { tier: "x" }));
    await K8s(ConfigMap).Create(configMap("get-b", { k: "b" }, { tier: "y" }));
    await expect(K8s(ConfigMap).Create(configMap("get-a"))).rejects.toBeInstanceOf(ConflictError);

    const one = await K8s(ConfigMap).InNamespace(ns).Get("get-a");
    expect(one.data).toEqual({ k: "a" });
    const labelled = await K8s(ConfigMap).InNamespace(ns).WithLabel("tier", "y").Get();
    expect(labelled.items.map((c) => c.metadata?.name)).toEqual(["get-b"]);
    expect(labelled.items[0]?.kind).toBe("ConfigMap");
    const exists = await K8s(ConfigMap).InNamespace(ns).WithLabel("tier").Get();
    expect(exists.items).toHaveLength(2);
    const byField = await K8s(ConfigMap).InNamespace(ns).WithField("metadata.name", "get-a").Get();
    expect(byField.items.map((c) => c.metadata?.name)).toEqual(["get-a"]);
    await expect(K8s(ConfigMap).InNamespace(ns).Get("missing")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("rejects a second namespace and a namespaced Get without one", async () => {
    expect(() => K8s(ConfigMap, { namespace: ns }).InNamespace("other")).toThrow(`Namespace already specified: ${ns}`);
    await expect(K8s(ConfigMap).Get("x")).rejects.toThrow(/needs a namespace/);
  });

  it("applies server-side: conflicts without force raise ConflictError, force wins", async () => {
    const applied = await K8s(ConfigMap).Apply({
      metadata: { name: "ssa", namespace: ns },
      data: { owner: "capstan" },
    });
    expect(applied.data).toEqual({ owner: "capstan" });
    expect(applied.metadata?.managedFields?.some((f) => f.manager === "capstan")).toBe(true);
    // Another field manager takes ownership of the same field.
    await client.request({
      method: "PATCH",
      path: `/api/v1/namespaces/${ns}/configmaps/ssa`,
      query: { fieldManager: "someone-else", force: true },
      contentType: "application/apply-patch+yaml",
      body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "ssa" }, data: { owner: "other" } },
    });
    const conflict = K8s(ConfigMap).Apply({ metadata: { name: "ssa", namespace: ns }, data: { owner: "capstan" } });
    await expect(conflict).rejects.toBeInstanceOf(ConflictError);
    await expect(conflict).rejects.toThrow(/someone-else/);
    const forced = await K8s(ConfigMap).Apply(
      { metadata: { name: "ssa", namespace: ns }, data: { owner: "capstan" } },
      { force: true },
    );
    expect(forced.data).toEqual({ owner: "capstan" });
  });

  it("rejects unknown fields on Apply (strict field validation)", async () => {
    const bad = { metadata: { name: "strict", namespace: ns }, data: {}, bogus: 1 } as unknown as ConfigMap;
    await expect(K8s(ConfigMap).Apply(bad)).rejects.toThrow(/bogus/);
  });

  it("patches with JSON patch and refuses an empty patch", async () => {
    await K8s(ConfigMap).Create(configMap("patch", { a: "1" }));
    const patched = await K8s(ConfigMap, { name: "patch", namespace: ns }).Patch([
      { op: "replace", path: "/data/a", value: "2" },
      { op: "add", path: "/data/b", value: "3" },
    ]);
    expect(patched.data).toEqual({ a: "2", b: "3" });
    await expect(K8s(ConfigMap, { name: "patch", namespace: ns }).Patch([])).rejects.toThrow("No operations specified");
  });

  it("patches only the status subresource", async () => {
    await K8s(Deployment).Create(deployment("status"));
    const condition = { type: "CapstanTest", status: "True", reason: "Testing", message: "from PatchStatus" };
    const patched = await K8s(Deployment).PatchStatus({
      metadata: { name: "status", namespace: ns },
      spec: { replicas: 7 },
      status: { conditions: [condition] },
    });
    expect(patched.status?.conditions?.find((c) => c.type === "CapstanTest")?.message).toBe("from PatchStatus");
    expect(patched.spec?.replicas).toBe(1);
  });

  it("deletes by name or object, ignoring objects that do not exist", async () => {
    const created = await K8s(ConfigMap).Create(configMap("del-a"));
    await K8s(ConfigMap).Create(configMap("del-b"));
    await K8s(ConfigMap).Delete(created);
    await K8s(ConfigMap).InNamespace(ns).Delete("del-b");
    await K8s(ConfigMap).InNamespace(ns).Delete("del-b");
    await expect(K8s(ConfigMap).InNamespace(ns).Get("del-a")).rejects.toBeInstanceOf(NotFoundError);
    await expect(K8s(ConfigMap).InNamespace(ns).Get("del-b")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("evicts a pod, ignoring a missing one", async () => {
    await K8s(Pod).Create({
      metadata: { name: "evictee", namespace: ns },
      spec: { containers: [{ name: "c", image: "busybox" }] },
    });
    await K8s(Pod).InNamespace(ns).Evict("evictee");
    await eventually(
      () =>
        K8s(Pod)
          .InNamespace(ns)
          .Get("evictee")
          .then(() => undefined)
          .catch((e) => (e instanceof NotFoundError ? true : undefined)),
      { what: "the evicted pod to be gone" },
    );
    await K8s(Pod).InNamespace(ns).Evict("evictee");
  });

  it("explains that a pod without a node has no logs", async () => {
    await K8s(Pod).Create({
      metadata: { name: "nolog", namespace: ns, labels: { app: "nolog" } },
      spec: { containers: [{ name: "c", image: "busybox" }] },
    });
    const logs = K8s(Pod).InNamespace(ns).Logs("nolog");
    await expect(logs).rejects.toBeInstanceOf(LogsUnavailableError);
    await expect(logs).rejects.toThrow(`pod ${ns}/nolog: it is not scheduled to a node`);
    await expect(K8s(Pod).Logs("nolog")).rejects.toThrow(/needs a namespace/);
    // Through a workload's selector: the deployment's pod (labelled by hand here) has no node either.
    await K8s(Deployment).Create({ ...deployment("nolog"), spec: { ...deployment("nolog").spec, replicas: 0 } });
    await expect(K8s(Deployment).InNamespace(ns).Logs("nolog")).rejects.toThrow(`pod ${ns}/nolog: it is not scheduled`);
    await expect(K8s(ConfigMap).InNamespace(ns).Logs("x")).rejects.toThrow(/Logs works on Pods/);
  });

  it("proxies to a service through the API server, reporting the server's error when nothing answers", async () => {
    await client.request({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/services`,
      body: { metadata: { name: "web" }, spec: { selector: { app: "none" }, ports: [{ name: "http", port: 80 }] } },
    });
    // No endpoints controller runs here: an empty Endpoints object stands for "no pod is ready".
    await client.request({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/endpoints`,
      body: { metadata: { name: "web" } },
    });
    const proxied = K8s(Service).InNamespace(ns).Proxy("web", "http");
    await expect(proxied).rejects.toBeInstanceOf(ApiError);
    await expect(proxied).rejects.toThrow(`/api/v1/namespaces/${ns}/services/web%3Ahttp/proxy`);
    await expect(proxied).rejects.toMatchObject({ status: 503 });
    await expect(proxied).rejects.toThrow(/no endpoints available for service "web"/);
    await expect(K8s(ConfigMap).InNamespace(ns).Proxy("x")).rejects.toThrow(/Proxy works on Pods, Services and Nodes/);
  });

  it("scales a deployment through the scale subresource", async () => {
    await K8s(Deployment).Create(deployment("scaled"));
    await K8s(Deployment).InNamespace(ns).Scale(3, "scaled");
    const scaled = await K8s(Deployment).InNamespace(ns).Get("scaled");
    expect(scaled.spec?.replicas).toBe(3);
    await expect(K8s(Deployment).InNamespace(ns).Scale(-1, "scaled")).rejects.toThrow(/whole number/);
  });

  it("adds and removes finalizers, and does nothing when already in that state", async () => {
    await K8s(ConfigMap).Create({
      ...configMap("fin"),
      metadata: { name: "fin", namespace: ns, finalizers: ["a.dev/x"] },
    });
    const cm = K8s(ConfigMap).InNamespace(ns);
    await cm.Finalize("add", "capstan.dev/y", "fin");
    expect((await cm.Get("fin")).metadata?.finalizers).toEqual(["a.dev/x", "capstan.dev/y"]);
    const rv = (await cm.Get("fin")).metadata?.resourceVersion;
    await cm.Finalize("add", "capstan.dev/y", "fin");
    expect((await cm.Get("fin")).metadata?.resourceVersion).toBe(rv);
    await cm.Finalize("remove", "a.dev/x", "fin");
    await cm.Finalize("remove", "capstan.dev/y", "fin");
    expect((await cm.Get("fin")).metadata?.finalizers).toBeUndefined();
    await cm.Delete("fin");
  });

  it("makes raw requests like kubectl get --raw", async () => {
    const version = (await K8s(ConfigMap).Raw("/version")) as { gitVersion?: string };
    expect(version.gitVersion).toMatch(/^v1\./);
    expect(await K8s(ConfigMap).Raw("/healthz")).toBe("ok");
    const list = (await K8s(ConfigMap).Raw(`/api/v1/namespaces/${ns}/configmaps?limit=1`)) as { items: unknown[] };
    expect(list.items).toHaveLength(1);
  });

  it("watches through the shared informer", async () => {
    await K8s(ConfigMap).Create(configMap("watch-before", {}, { w: "1" }));
    const seen: string[] = [];
    const watcher = K8s(ConfigMap)
      .InNamespace(ns)
      .WithLabel("w", "1")
      .Watch((object, phase) => {
        seen.push(`${phase} ${object.metadata?.name} ${JSON.stringify(object.data ?? {})}`);
      });
    await watcher.start();
    await watcher.waitForSync();
    await K8s(ConfigMap).Create(configMap("watch-after", {}, { w: "1" }));
    await K8s(ConfigMap).Apply({
      metadata: { name: "watch-after", namespace: ns, labels: { w: "1" } },
      data: { v: "2" },
    });
    await K8s(ConfigMap).InNamespace(ns).Delete("watch-after");
    await eventually(async () => (seen.length >= 4 ? true : undefined), { what: "four watch events" });
    watcher.close();
    expect(sharedInformer(client, { kind: kindOf(ConfigMap), namespace: ns, labelSelector: "w=1" }).started).toBe(
      false,
    );
    expect(seen).toEqual([
      "ADDED watch-before {}",
      "ADDED watch-after {}",
      'MODIFIED watch-after {"v":"2"}',
      'DELETED watch-after {"v":"2"}',
    ]);
  });

  it("works with custom kinds through RegisterKind and kindOverride", async () => {
    const group = `fluent${Date.now()}.capstan.dev`;
    await client.request({
      method: "POST",
      path: "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
      body: {
        metadata: { name: `widgets.${group}` },
        spec: {
          group,
          scope: "Namespaced",
          names: { plural: "widgets", singular: "widget", kind: "Widget" },
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
    });
    class Widget extends GenericKind {}
    RegisterKind(Widget, { group, version: "v1", kind: "Widget", plural: "widgets" });
    try {
      const applied = await eventually(
        () =>
          K8s(Widget)
            .Apply({ metadata: { name: "w1", namespace: ns }, spec: { size: 3 } })
            .catch(() => undefined),
        { what: "the Widget CRD to serve" },
      );
      expect(applied.apiVersion).toBe(`${group}/v1`);
      const viaOverride = await K8s(GenericKind, {
        kindOverride: { group, version: "v1", kind: "Widget", plural: "widgets" },
      })
        .InNamespace(ns)
        .Get("w1");
      expect(viaOverride.spec).toEqual({ size: 3 });
      expect(() => K8s(class Unknown extends GenericKind {})).toThrow("Kind not specified for Unknown");
    } finally {
      unregisterKind(Widget);
      await client.request({
        method: "DELETE",
        path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.${group}`,
      });
    }
  });

  it("shares the informer with other users and leaves one it did not start running", async () => {
    const informer = sharedInformer(client, { kind: kindOf(ConfigMap), namespace: ns, labelSelector: "w=2" });
    informer.start();
    const watcher = K8s(ConfigMap)
      .InNamespace(ns)
      .WithLabel("w", "2")
      .Watch(() => {});
    await watcher.start();
    expect(informer.subscriberCount).toBe(1);
    watcher.close();
    expect(informer.subscriberCount).toBe(0);
    expect(informer.started).toBe(true);
    await informer.stop();
  });
});
