import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

const mutateIgnored = "z-ignored-ns-mutate";
const watchIgnored = "z-ignored-ns-watch";

interface ConfigMap {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
}
interface WebhookConfiguration {
  webhooks: { namespaceSelector?: { matchExpressions?: { key: string; operator: string; values: string[] }[] } }[];
}

export default {
  description:
    "admission.alwaysIgnore keeps Mutate away but not Watch; watch.alwaysIgnore keeps Watch away but not Mutate",
  async run(t) {
    const create = async (yaml: string) => {
      const created = await t.kubectlRun(["create", "-f", "-"], yaml);
      if (created.code !== 0) throw new Error(`kubectl create failed: ${created.stderr}`);
    };
    for (const [ns, name] of [
      [mutateIgnored, "mutate-ignored"],
      [watchIgnored, "watch-ignored"],
    ]) {
      await create(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`);
      await create(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata: {}\n`);
    }
    const get = async (name: string, ns: string) =>
      JSON.parse(await t.kubectl("get", "configmap", name, "-n", ns, "-o", "json")) as ConfigMap;

    // The mutating webhook leaves the admission-ignored namespace out, beside Pepr's own.
    const mutating = JSON.parse(
      await t.kubectl("get", "mutatingwebhookconfiguration", "pepr-z-ignored-ns", "-o", "json"),
    ) as WebhookConfiguration;
    const notIn = mutating.webhooks[0]?.namespaceSelector?.matchExpressions?.find(
      (expression) => expression.key === "kubernetes.io/metadata.name" && expression.operator === "NotIn",
    );
    expect([...(notIn?.values ?? [])].sort()).toEqual(["kube-system", "pepr-system", mutateIgnored].sort());

    // admission.alwaysIgnore: no label at admission, but the watch applied its annotation.
    const watched = await t.waitFor("the watch's annotation in the admission-ignored namespace", async () => {
      const cm = await get("mutate-ignored", mutateIgnored);
      return cm.metadata.annotations?.been === "seen" ? cm : undefined;
    });
    expect(watched.metadata.labels).toBeUndefined();
    expect(watched.data?.["cm-uid"]).toBeDefined();

    // watch.alwaysIgnore: labelled at admission, never touched by the watch.
    expect((await get("watch-ignored", watchIgnored)).metadata.labels).toEqual({ can: "see" });
    await t.sleep(3000);
    const unwatched = await get("watch-ignored", watchIgnored);
    expect(unwatched.metadata.labels?.been).toBeUndefined();
    expect(unwatched.data).toBeUndefined();

    for (const ns of [mutateIgnored, watchIgnored]) await t.kubectl("delete", "namespace", ns, "--wait=false");
  },
} satisfies CompatTest;
