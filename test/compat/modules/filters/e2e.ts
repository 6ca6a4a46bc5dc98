import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

interface ConfigMap {
  metadata: { labels?: Record<string, string> };
}

export default {
  description: "Each binding filter selects what it selects under Pepr; the capability's namespaces bound them all",
  async run(t) {
    for (const ns of ["compat-filters", "compat-filters-alpha", "compat-filters-beta", "compat-filters-other"])
      await t.apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`);
    const create = async (
      namespace: string,
      name: string,
      labels: Record<string, string> = {},
      annotations: Record<string, string> = {},
    ) => {
      await t.apply(
        JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, labels, annotations } }),
      );
      const cm = JSON.parse(await t.kubectl("get", "configmap", name, "-n", namespace, "-o", "json")) as ConfigMap;
      return Object.keys(cm.metadata.labels ?? {})
        .filter((key) => !Object.hasOwn(labels, key))
        .sort();
    };
    expect(await create("compat-filters", "plain")).toEqual(["in-namespace"]);
    expect(await create("compat-filters-alpha", "plain")).toEqual(["in-namespace-regex"]);
    expect(await create("compat-filters-beta", "exact-name")).toEqual(["in-namespace-regex", "with-name"]);
    expect(await create("compat-filters", "exact-name-not")).toEqual(["in-namespace"]);
    expect(await create("compat-filters", "regex-42")).toEqual(["in-namespace", "with-name-regex"]);
    expect(await create("compat-filters", "regex-x")).toEqual(["in-namespace"]);
    expect(await create("compat-filters", "gold", { tier: "gold" })).toEqual(["in-namespace", "with-label-value"]);
    expect(await create("compat-filters", "silver", { tier: "silver" })).toEqual(["in-namespace"]);
    expect(await create("compat-filters", "flagged", { flagged: "" })).toEqual(["in-namespace", "with-label"]);
    expect(await create("compat-filters", "owned", {}, { owner: "me" })).toEqual(["in-namespace", "with-annotation"]);
    expect(await create("compat-filters-beta", "both-1", { tier: "gold" })).toEqual([
      "all-filters",
      "in-namespace-regex",
      "with-label-value",
    ]);
    expect(await create("compat-filters-alpha", "both-2", { tier: "gold" })).toEqual([
      "in-namespace-regex",
      "with-label-value",
    ]);
    // Outside the capability's namespaces nothing runs, whatever matches.
    expect(await create("compat-filters-other", "exact-name", { tier: "gold" })).toEqual([]);
  },
} satisfies CompatTest;
