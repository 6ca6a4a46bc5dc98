import { a, Capability, K8s, kind } from "pepr";

export const HelloPeprIgnoredNS = new Capability({
  name: "z-ignored-ns",
  description: "admission and watch ignore different namespaces",
  namespaces: [],
});

const { When } = HelloPeprIgnoredNS;

// Each ConfigMap gets a label at admission and a mark from its watch; the module's config keeps
// one of the two away from each namespace.
When(a.ConfigMap)
  .IsCreated()
  .WithNameRegex(/^mutate-ignored/)
  .Mutate((cm) => cm.SetLabel("not", "seen"));

When(a.ConfigMap)
  .IsCreated()
  .WithNameRegex(/^mutate-ignored/)
  .Watch(async (cm) => {
    await K8s(kind.ConfigMap).Apply({
      metadata: { name: cm.metadata.name, namespace: cm.metadata.namespace, annotations: { been: "seen" } },
      data: { "cm-uid": cm.metadata.uid },
    });
  });

When(a.ConfigMap)
  .IsCreated()
  .WithNameRegex(/^watch-ignored/)
  .Mutate((cm) => cm.SetLabel("can", "see"));

When(a.ConfigMap)
  .IsCreated()
  .WithNameRegex(/^watch-ignored/)
  .Watch(async (cm) => {
    await K8s(kind.ConfigMap).Apply({
      metadata: { name: cm.metadata.name, namespace: cm.metadata.namespace, labels: { been: "seen" } },
      data: { "cm-uid": cm.metadata.uid },
    });
  });
