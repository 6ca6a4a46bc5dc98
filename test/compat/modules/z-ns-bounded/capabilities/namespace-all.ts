import { a, Capability } from "pepr";

// No namespaces: the capability sees every namespace (but Pepr's own).
export const HelloPeprNamespaceAll = new Capability({
  name: "z-ns-all",
  description: "a capability without namespaces",
  namespaces: [],
});

const { When } = HelloPeprNamespaceAll;

When(a.ConfigMap)
  .IsCreated()
  .WithNameRegex(/^(one|two|three)$/)
  .Mutate(function mutateDelta(request) {
    request.SetAnnotation("d", "delta");
  });
