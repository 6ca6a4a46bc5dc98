import { describe, expect, it } from "vitest";
import { ObjectCache, objectKey } from "../../../src/informer/cache.ts";
import type { KubernetesObject } from "../../../src/k8s/kinds.ts";

const cm = (
  namespace: string,
  name: string,
  resourceVersion: string,
  uid = `${namespace}/${name}`,
): KubernetesObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { namespace, name, resourceVersion, uid, labels: { app: name.split("-")[0] ?? "" } },
});

const summary = (events: { type: string; object: KubernetesObject; previous?: KubernetesObject }[]) =>
  events.map(
    (e) =>
      `${e.type} ${objectKey(e.object)}@${e.object.metadata?.resourceVersion}${e.previous ? ` was ${e.previous.metadata?.resourceVersion}` : ""}`,
  );

describe("ObjectCache", () => {
  it("turns watch events into deliveries with the previous state, and ignores deletes of unknown objects", () => {
    const cache = new ObjectCache();
    expect(cache.apply("ADDED", cm("a", "x", "1"))?.type).toBe("ADDED");
    const modified = cache.apply("MODIFIED", cm("a", "x", "2"));
    expect(modified?.previous?.metadata?.resourceVersion).toBe("1");
    // An ADDED for a known object (a watch replaying after a relist) is a modification.
    expect(cache.apply("ADDED", cm("a", "x", "3"))?.type).toBe("MODIFIED");
    expect(cache.apply("DELETED", cm("a", "x", "4"))?.previous?.metadata?.resourceVersion).toBe("3");
    expect(cache.apply("DELETED", cm("a", "x", "5"))).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("diffs a relist: deleted for vanished, added for new, modified only when the resourceVersion string differs", () => {
    const cache = new ObjectCache();
    cache.replace([cm("a", "keep", "10"), cm("a", "change", "11"), cm("b", "gone", "12")]);
    const events = cache.replace([cm("a", "keep", "10"), cm("a", "change", "011"), cm("c", "new", "13")]);
    // "011" and "11" are equal as numbers but are different resourceVersions.
    expect(summary(events)).toEqual(["DELETED b/gone@12 was 12", "MODIFIED a/change@011 was 11", "ADDED c/new@13"]);
    expect(cache.list().map(objectKey).sort()).toEqual(["a/change", "a/keep", "c/new"]);
  });

  it("reports an object deleted and recreated under the same name as DELETED then ADDED", () => {
    const cache = new ObjectCache();
    cache.replace([cm("a", "x", "1", "uid-1")]);
    expect(summary(cache.replace([cm("a", "x", "9", "uid-2")]))).toEqual(["DELETED a/x@1 was 1", "ADDED a/x@9"]);
    expect(cache.get("a", "x")?.metadata?.uid).toBe("uid-2");
  });

  it("keeps the namespace index and custom indexes in step with changes", () => {
    const cache = new ObjectCache({ app: (o) => [o.metadata?.labels?.app ?? ""] });
    cache.replace([cm("a", "web-1", "1"), cm("b", "web-2", "2"), cm("a", "db-1", "3")]);
    expect(cache.list("a").map(objectKey).sort()).toEqual(["a/db-1", "a/web-1"]);
    expect(cache.byIndex("app", "web").map(objectKey).sort()).toEqual(["a/web-1", "b/web-2"]);
    cache.apply("DELETED", cm("b", "web-2", "4"));
    cache.apply("MODIFIED", {
      ...cm("a", "web-1", "5"),
      metadata: { ...cm("a", "web-1", "5").metadata, labels: { app: "api" } },
    });
    expect(cache.byIndex("app", "web")).toEqual([]);
    expect(cache.byIndex("app", "api").map(objectKey)).toEqual(["a/web-1"]);
    expect(cache.list("b")).toEqual([]);
    expect(() => cache.byIndex("nope", "x")).toThrow(/no index named nope/);
  });

  it("keys cluster-scoped objects by name and refuses objects without one", () => {
    const cache = new ObjectCache();
    cache.apply("ADDED", { kind: "Namespace", metadata: { name: "n1", resourceVersion: "1" } });
    expect(cache.get(undefined, "n1")?.kind).toBe("Namespace");
    expect(() => cache.apply("ADDED", { kind: "Namespace", metadata: {} })).toThrow(/without metadata.name/);
  });
});
