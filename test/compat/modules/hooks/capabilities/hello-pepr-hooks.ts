import { a, Capability } from "pepr";

export const HelloPeprHooks = new Capability({
  name: "hello-pepr-hooks",
  description: "Bindings the hooks wrap",
  namespaces: ["compat-hooks"],
});

const { When } = HelloPeprHooks;

When(a.Secret)
  .IsCreated()
  .InNamespace("compat-hooks")
  .Validate((request) =>
    request.HasLabel("deny") ? request.Deny("Secrets labelled deny are refused") : request.Approve(),
  );

// Pepr's webhooks select by kind and operation (and namespaces), never by label: every ConfigMap
// created in the namespace reaches the mutating webhook and the hooks, the binding runs for some.
When(a.ConfigMap)
  .IsCreated()
  .InNamespace("compat-hooks")
  .WithLabel("hook-me")
  .Mutate((request) => {
    request.SetLabel("hooked", "yes");
  });
