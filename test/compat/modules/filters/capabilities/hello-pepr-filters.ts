import { a, Capability } from "pepr";

export const HelloPeprFilters = new Capability({
  name: "hello-pepr-filters",
  description: "Binding filters",
  namespaces: ["compat-filters", "compat-filters-alpha", "compat-filters-beta"],
});

const { When } = HelloPeprFilters;

// Each binding leaves its own label, so the test can read which bindings matched an object.
When(a.ConfigMap)
  .IsCreated()
  .InNamespace("compat-filters")
  .Mutate((request) => {
    request.SetLabel("in-namespace", "yes");
  });

When(a.ConfigMap)
  .IsCreated()
  .InNamespaceRegex(/^compat-filters-(alpha|beta)$/)
  .Mutate((request) => {
    request.SetLabel("in-namespace-regex", "yes");
  });

When(a.ConfigMap)
  .IsCreated()
  .WithName("exact-name")
  .Mutate((request) => {
    request.SetLabel("with-name", "yes");
  });

When(a.ConfigMap)
  .IsCreated()
  .WithNameRegex(/^regex-[0-9]+$/)
  .Mutate((request) => {
    request.SetLabel("with-name-regex", "yes");
  });

When(a.ConfigMap)
  .IsCreated()
  .WithLabel("tier", "gold")
  .Mutate((request) => {
    request.SetLabel("with-label-value", "yes");
  });

When(a.ConfigMap)
  .IsCreated()
  .WithLabel("flagged")
  .Mutate((request) => {
    request.SetLabel("with-label", "yes");
  });

When(a.ConfigMap)
  .IsCreated()
  .WithAnnotation("owner")
  .Mutate((request) => {
    request.SetLabel("with-annotation", "yes");
  });

When(a.ConfigMap)
  .IsCreated()
  .InNamespace("compat-filters-beta")
  .WithNameRegex(/^both-/)
  .WithLabel("tier", "gold")
  .Mutate((request) => {
    request.SetLabel("all-filters", "yes");
  });
