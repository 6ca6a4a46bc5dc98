import { compare } from "fast-json-patch";
import { K8s, kind } from "kubernetes-fluent-client";
import { a, Capability, Log } from "pepr";

const namespace = "compat-kfc-client";

export const HelloPeprKfc = new Capability({
  name: "hello-pepr-kfc",
  description: "The fluent client in callbacks",
  namespaces: [namespace],
});

const { When } = HelloPeprKfc;

When(a.ConfigMap)
  .IsCreated()
  .InNamespace(namespace)
  .WithName("request")
  .Watch(async (request) => {
    const source = await K8s(kind.Secret).InNamespace(namespace).Get("source");
    const labelled = await K8s(kind.ConfigMap).InNamespace(namespace).WithLabel("tier", "gold").Get();

    const copy = await K8s(kind.ConfigMap).Apply(
      {
        metadata: { name: "copy", namespace, labels: { made: "by-apply" } },
        data: {
          keys: Object.keys(source.data ?? {})
            .sort()
            .join(","),
          gold: labelled.items
            .map((cm) => cm.metadata?.name)
            .sort()
            .join(","),
          from: request.metadata?.name ?? "",
        },
      },
      { force: true },
    );

    const patched = structuredClone(copy);
    patched.data = { ...patched.data, patched: "yes" };
    patched.metadata.labels = { ...patched.metadata.labels, patched: "yes" };
    await K8s(kind.ConfigMap, { namespace, name: "copy" }).Patch(compare(copy, patched));

    await K8s(kind.ConfigMap).Delete({ metadata: { name: "doomed", namespace } });
    Log.info({ gold: labelled.items.length }, "kfc done");
  });
