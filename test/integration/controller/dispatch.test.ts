import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Controller } from "../../../src/controller/dispatch/controller.ts";
import { ExponentialBackoff } from "../../../src/controller/retry-policy.ts";
import { stopInformers } from "../../../src/informer/index.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import type { KubernetesObject } from "../../../src/k8s/kinds.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { FINALIZER } from "../../../src/model/finalizer.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { configMapPath, createConfigMap, deleteConfigMap, updateConfigMap } from "../informer/helpers.ts";
import { runController, sleep } from "./support.ts";

let client: ApiClient;
let ns: string;
let other: string;
let ignored: string;
const controllers: Controller[] = [];

beforeAll(async () => {
  client = await adminClient();
  ns = await freshNamespace(client, "ctl");
  other = await freshNamespace(client, "ctl-other");
  ignored = await freshNamespace(client, "ctl-ign");
});
afterAll(async () => {
  await Promise.all(controllers.map((controller) => controller.stop()));
  await stopInformers(client);
  for (const namespace of [ns, other, ignored])
    await client.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}` });
  await client.close();
});

async function start(capability: Capability, ignoredNamespaces: string[] = []) {
  const controller = await runController(client, capability, {
    ignoredNamespaces,
    retry: new ExponentialBackoff({ initialMs: 100, maxMs: 2000 }),
  });
  controllers.push(controller);
  return controller;
}

const label = (o: KubernetesObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;

describe("Watch against the API server", () => {
  it("delivers create, update and delete per event filter, with namespace, label, name and regex filters", async () => {
    const capability = new Capability({ name: "watch-filters", description: "" });
    const seen: string[] = [];
    // kube-controller-manager puts kube-root-ca.crt in every namespace; it is not part of the scenario.
    const record = (tag: string) => (object: KubernetesObject, phase: string) => {
      if (object.metadata?.name !== "kube-root-ca.crt") seen.push(`${tag} ${phase} ${label(object)}`);
    };
    const { When } = capability;
    When(ConfigMap).IsCreated().InNamespace(ns).Watch(record("created"));
    When(ConfigMap).IsUpdated().InNamespace(ns).WithLabel("tier", "web").Watch(record("updated-web"));
    When(ConfigMap).IsCreatedOrUpdated().InNamespace(ns).WithName("exact").Watch(record("create-or-update-exact"));
    When(ConfigMap)
      .IsDeleted()
      .InNamespace(ns)
      .WithNameRegex(/^gone-/)
      .Watch(record("deleted-gone"));
    When(ConfigMap)
      .IsCreated()
      .InNamespaceRegex(new RegExp(`^(${ns}|${other}|${ignored})$`))
      .WithAnnotation("pick", "me")
      .Watch(record("regex-annotated"));
    await start(capability, [ignored]);

    await createConfigMap(client, ns, "plain");
    await client.request({
      method: "POST",
      path: configMapPath(ns),
      body: { metadata: { name: "web", labels: { tier: "web" } } },
    });
    await updateConfigMap(client, ns, "web", { v: "2" });
    await updateConfigMap(client, ns, "plain", { v: "2" });
    await createConfigMap(client, ns, "exact");
    await updateConfigMap(client, ns, "exact", { v: "2" });
    await createConfigMap(client, ns, "gone-1");
    await deleteConfigMap(client, ns, "gone-1");
    await deleteConfigMap(client, ns, "plain");
    for (const namespace of [ns, other, ignored]) {
      await client.request({
        method: "POST",
        path: configMapPath(namespace),
        body: { metadata: { name: "annotated", annotations: { pick: "me" } } },
      });
    }
    await createConfigMap(client, other, "not-annotated");

    const expected = [
      `created ADDED ${ns}/plain`,
      `created ADDED ${ns}/web`,
      `updated-web MODIFIED ${ns}/web`,
      `created ADDED ${ns}/exact`,
      `create-or-update-exact ADDED ${ns}/exact`,
      `create-or-update-exact MODIFIED ${ns}/exact`,
      `created ADDED ${ns}/gone-1`,
      `deleted-gone DELETED ${ns}/gone-1`,
      `created ADDED ${ns}/annotated`,
      `regex-annotated ADDED ${ns}/annotated`,
      `regex-annotated ADDED ${other}/annotated`,
    ];
    await eventually(async () => (seen.length >= expected.length ? true : undefined), { what: "the watch events" });
    await sleep(500);
    expect([...seen].sort()).toEqual([...expected].sort());
    expect(seen.filter((line) => line.includes(ignored))).toEqual([]);
  });
});

describe("Reconcile against the API server", () => {
  it("reconciles create-or-update and delete with filters, and skips ignored namespaces", async () => {
    const capability = new Capability({ name: "reconcile-filters", description: "" });
    const seen: string[] = [];
    capability
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .InNamespaceRegex(new RegExp(`^(${other}|${ignored})$`))
      .WithLabel("app", "r")
      .Reconcile(
        (object, phase) =>
          void seen.push(`${phase} ${label(object)} ${JSON.stringify((object as { data?: unknown }).data ?? {})}`),
      );
    capability
      .When(ConfigMap)
      .IsDeleted()
      .InNamespace(other)
      .WithLabel("app", "r")
      .Reconcile((object, phase) => void seen.push(`${phase} ${label(object)}`));
    await start(capability, [ignored]);
    for (const namespace of [other, ignored]) {
      await client.request({
        method: "POST",
        path: configMapPath(namespace),
        body: { metadata: { name: "r1", labels: { app: "r" } } },
      });
    }
    await client.request({ method: "POST", path: configMapPath(other), body: { metadata: { name: "unlabelled" } } });
    await eventually(async () => (seen.includes(`ADDED ${other}/r1 {}`) ? true : undefined), {
      what: "the first reconcile",
    });
    await updateConfigMap(client, other, "r1", { v: "2" });
    await eventually(async () => (seen.some((s) => s.includes('"v":"2"')) ? true : undefined), { what: "the update" });
    await deleteConfigMap(client, other, "r1");
    await eventually(async () => (seen.includes(`DELETED ${other}/r1`) ? true : undefined), { what: "the delete" });
    expect(seen.filter((s) => s.includes(ignored) || s.includes("unlabelled"))).toEqual([]);
  });
});

describe("Finalize against the API server", () => {
  it("runs the callback on deletion and removes only its finalizer; `false` keeps it; a throw is retried", async () => {
    const capability = new Capability({ name: "finalize", description: "" });
    const calls = new Map<string, number>();
    capability
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .InNamespace(ns)
      .WithLabel("finalize", "yes")
      .Reconcile(() => {})
      .Finalize((object) => {
        const name = object.metadata?.name ?? "";
        const count = (calls.get(name) ?? 0) + 1;
        calls.set(name, count);
        if (name === "keep") return false;
        if (name === "flaky" && count < 3) throw new Error("cleanup backend unavailable");
        return true;
      });
    await start(capability);
    // The admission half of Finalize adds the finalizer; this test creates objects with it directly.
    for (const name of ["done", "keep", "flaky"]) {
      await client.request({
        method: "POST",
        path: configMapPath(ns),
        body: { metadata: { name, labels: { finalize: "yes" }, finalizers: [FINALIZER, "example.com/other"] } },
      });
      await deleteConfigMap(client, ns, name);
    }
    const finalizers = async (name: string) =>
      (await client.request<KubernetesObject>({ path: configMapPath(ns, name) })).metadata?.finalizers ?? [];
    await eventually(async () => ((await finalizers("done")).includes(FINALIZER) ? undefined : true), {
      what: "done finalized",
    });
    await eventually(async () => ((await finalizers("flaky")).includes(FINALIZER) ? undefined : true), {
      what: "flaky finalized after retries",
    });
    await sleep(1000);
    expect(await finalizers("done")).toEqual(["example.com/other"]);
    expect(await finalizers("keep")).toEqual([FINALIZER, "example.com/other"]);
    expect(calls.get("done")).toBe(1);
    expect(calls.get("flaky")).toBe(3);
    expect(calls.get("keep")).toBeGreaterThanOrEqual(1);
    for (const name of ["done", "keep", "flaky"]) {
      await client.request({
        method: "PATCH",
        path: configMapPath(ns, name),
        contentType: "application/merge-patch+json",
        body: { metadata: { finalizers: null } },
      });
    }
  });
});
