import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";
import { type ConfigMapObject, configMap, configMaps, serveModule, type TestModule } from "./support.ts";

let client: ApiClient;
let ns1: string;
let ns2: string;
let served: TestModule;
const before: string[] = [];
const after: string[] = [];

const hit = (label: string) => (req: { SetLabel(key: string, value: string): unknown }) => {
  req.SetLabel(label, "hit");
};

beforeAll(async () => {
  client = await adminClient();
  ns1 = await freshNamespace(client, "adm-filter-a");
  ns2 = await freshNamespace(client, "adm-filter-b");
  const cap = new Capability({ name: "filters", description: "filter acceptance", namespaces: [ns1, ns2] });
  const { When } = cap;
  When(a.ConfigMap).IsCreated().InNamespace(ns1).Mutate(hit("by-ns"));
  When(a.ConfigMap)
    .IsCreated()
    .InNamespaceRegex(new RegExp(`^${ns2}$`))
    .Mutate(hit("by-ns-regex"));
  When(a.ConfigMap).IsCreated().WithNameRegex(/^rx-/).Mutate(hit("by-name-regex"));
  When(a.ConfigMap).IsCreated().WithName("exact").Mutate(hit("by-name"));
  When(a.ConfigMap).IsCreated().WithLabel("team", "x").Mutate(hit("by-label"));
  When(a.ConfigMap).IsCreated().WithLabel("flag").Mutate(hit("by-label-exists"));
  When(a.ConfigMap).IsCreated().WithAnnotation("owner", "me").Mutate(hit("by-annotation"));
  When(a.ConfigMap).IsUpdated().WithDeletionTimestamp().Mutate(hit("by-deletion"));
  When(a.ConfigMap)
    .IsCreated()
    .WithName("aliased")
    .Alias("the-alias")
    .Mutate((_req, logger) => {
      logger?.info("from callback");
    });
  served = await serveModule(client, [ns1, ns2], [cap], {
    options: { beforeHook: (req) => before.push(req.uid), afterHook: (res) => after.push(res.uid) },
  });
});
afterAll(async () => {
  await served?.stop();
  for (const ns of [ns1, ns2])
    await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` }).catch(() => {});
  await client.close();
});

async function labelsOf(ns: string, body: object): Promise<string[]> {
  const created = await client.request<ConfigMapObject>({ method: "POST", path: configMaps(ns), body });
  return Object.keys(created.metadata.labels ?? {}).sort();
}

describe("binding filters", () => {
  it("select by namespace, namespace regex, name, name regex, label and annotation", async () => {
    expect(await labelsOf(ns1, configMap("plain"))).toEqual(["by-ns"]);
    expect(await labelsOf(ns2, configMap("plain"))).toEqual(["by-ns-regex"]);
    expect(await labelsOf(ns2, configMap("rx-a"))).toEqual(["by-name-regex", "by-ns-regex"]);
    expect(await labelsOf(ns2, configMap("exact"))).toEqual(["by-name", "by-ns-regex"]);
    expect(await labelsOf(ns2, configMap("lab", { labels: { team: "x", flag: "on" } }))).toEqual([
      "by-label",
      "by-label-exists",
      "by-ns-regex",
      "flag",
      "team",
    ]);
    // WithLabel(key) matches the key with any value, the empty one included, as Pepr's filters do.
    expect(await labelsOf(ns2, configMap("lab2", { labels: { team: "y", flag: "" } }))).toEqual([
      "by-label-exists",
      "by-ns-regex",
      "flag",
      "team",
    ]);
    expect(await labelsOf(ns2, configMap("ann", { annotations: { owner: "me" } }))).toEqual([
      "by-annotation",
      "by-ns-regex",
    ]);
  });

  it("select objects being deleted with WithDeletionTimestamp", async () => {
    const path = `${configMaps(ns2)}/held`;
    expect(await labelsOf(ns2, configMap("held", { finalizers: ["example.com/hold"] } as object))).toEqual([
      "by-ns-regex",
    ]);
    const poke = () =>
      client.request<ConfigMapObject>({
        method: "PATCH",
        path,
        contentType: "application/merge-patch+json",
        body: { data: { poked: "yes" } },
      });
    expect((await poke()).metadata.labels?.["by-deletion"]).toBeUndefined();
    await client.request({ method: "DELETE", path });
    // Deleting only sets deletionTimestamp; the next UPDATE carries it through admission.
    expect((await poke()).metadata.labels?.["by-deletion"]).toBe("hit");
    await client.request({
      method: "PATCH",
      path,
      contentType: "application/merge-patch+json",
      body: { metadata: { finalizers: null } },
    });
  });

  it("log with the binding's alias and run beforeHook/afterHook for each request", async () => {
    await labelsOf(ns1, configMap("aliased"));
    const line = served.lines.find((entry) => entry.msg === "from callback");
    expect(line).toMatchObject({ alias: "the-alias", "capstan.capability": "filters" });
    expect(typeof line?.["capstan.requestId"]).toBe("string");
    expect(before.length).toBeGreaterThan(0);
    // A Pepr module: afterHook runs after each mutate request, and per matched binding of a validate
    // request (none when none matched), always after that request's beforeHook (compat/semantics-hooks).
    expect(after.length).toBeGreaterThan(0);
    expect(after).toEqual(before.filter((uid) => after.includes(uid)));
  });
});
