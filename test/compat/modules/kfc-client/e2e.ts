import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

interface ConfigMap {
  metadata: { labels?: Record<string, string> };
  data?: Record<string, string>;
}

const ns = "compat-kfc-client";

export default {
  description:
    "K8s() from kubernetes-fluent-client: Get, label-filtered list, Apply (force), Patch with fast-json-patch, Delete",
  async run(t) {
    await t.apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`);
    await t.apply(
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: source\n  namespace: ${ns}\nstringData:\n  user: u\n  password: p\n`,
    );
    for (const [name, tier] of [
      ["gold-1", "gold"],
      ["gold-2", "gold"],
      ["silver-1", "silver"],
    ])
      await t.apply(
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n  labels:\n    tier: ${tier}\n`,
      );
    await t.apply(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: doomed\n  namespace: ${ns}\n`);
    await t.apply(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: request\n  namespace: ${ns}\n`);

    await t.waitForLog(/"msg":"kfc done"/);
    const copy = JSON.parse(await t.kubectl("get", "configmap", "copy", "-n", ns, "-o", "json")) as ConfigMap;
    expect(copy.data).toEqual({ keys: "password,user", gold: "gold-1,gold-2", from: "request", patched: "yes" });
    expect(copy.metadata.labels).toEqual({ made: "by-apply", patched: "yes" });
    const doomed = await t.kubectlRun(["get", "configmap", "doomed", "-n", ns]);
    expect(doomed.stderr).toContain("NotFound");
  },
} satisfies CompatTest;
