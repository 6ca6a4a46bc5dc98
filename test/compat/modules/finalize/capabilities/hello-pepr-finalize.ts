import { a, Capability, Log } from "pepr";

export const HelloPeprFinalize = new Capability({
  name: "hello-pepr-finalize",
  description: "Finalize() after Watch() and Reconcile()",
  namespaces: ["compat-finalize"],
});

const { When } = HelloPeprFinalize;

When(a.ConfigMap)
  .IsCreatedOrUpdated()
  .InNamespace("compat-finalize")
  .WithName("cm-watch")
  .Watch(function createApi(cm) {
    Log.info({ name: cm.metadata.name }, "external api call: watch/callback");
  })
  .Finalize(function deleteApi(cm) {
    Log.info({ name: cm.metadata.name }, "external api call: watch/finalize");
  });

When(a.ConfigMap)
  .IsCreatedOrUpdated()
  .InNamespace("compat-finalize")
  .WithName("cm-reconcile")
  .Reconcile(function createApi(cm) {
    Log.info({ name: cm.metadata.name }, "external api call: reconcile/callback");
  })
  .Finalize(function deleteApi(cm) {
    Log.info({ name: cm.metadata.name }, "external api call: reconcile/finalize");
  });

When(a.ConfigMap)
  .IsCreatedOrUpdated()
  .InNamespace("compat-finalize")
  .WithName("cm-opt-out")
  .Watch(function createApi(cm) {
    Log.info({ name: cm.metadata.name }, "external api call: opt-out/callback");
  })
  .Finalize(function keepFinalizer(cm) {
    Log.info({ name: cm.metadata.name }, "external api call: opt-out/pre-finalize");
    return false;
  });
