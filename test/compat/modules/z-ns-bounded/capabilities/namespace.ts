import { a, Capability, Log } from "pepr";

const name = "z-ns-bounded";
const alpha = `${name}-alpha`;
const bravo = `${name}-bravo`;

// Every binding of this capability is bounded by its two namespaces.
export const HelloPeprNamespace = new Capability({
  name,
  description: "bindings bounded by the capability's namespaces",
  namespaces: [alpha, bravo],
});

const { When } = HelloPeprNamespace;

When(a.ConfigMap)
  .IsCreated()
  .InNamespace(alpha)
  .Mutate(function mutateAlpha(request) {
    request.SetAnnotation("a", "alpha");
  });

When(a.ConfigMap)
  .IsCreated()
  .InNamespaceRegex(/-bravo$/)
  .WithNameRegex(/^two/)
  .Mutate(function mutateBravo(request) {
    request.SetAnnotation("b", "bravo");
  });

When(a.ConfigMap)
  .IsCreated()
  .Mutate(function mutateCharlie(request) {
    request.SetAnnotation("c", "charlie");
  });

When(a.ConfigMap)
  .IsCreated()
  .Watch(function watchAll(cm) {
    Log.info(`bounded watch saw ${cm.metadata?.namespace}/${cm.metadata?.name}`);
  });
