import { a, Capability, Log } from "pepr";

export const HelloPeprDeletionTimestamp = new Capability({
  name: "hello-pepr-deletion-timestamp",
  description: "Objects with a deletionTimestamp",
  namespaces: ["compat-deletion-timestamp"],
});

const { When } = HelloPeprDeletionTimestamp;

When(a.ConfigMap)
  .IsUpdated()
  .InNamespace("compat-deletion-timestamp")
  .WithDeletionTimestamp()
  .Mutate((request) => {
    Log.info({ name: request.Raw.metadata.name }, "mutating an object that is being deleted");
    request.SetAnnotation("seen-while-deleting", request.Raw.metadata.deletionTimestamp ? "yes" : "no");
  });

When(a.ConfigMap)
  .IsUpdated()
  .InNamespace("compat-deletion-timestamp")
  .Mutate((request) => {
    request.SetAnnotation("updates-seen", "yes");
  });

When(a.ConfigMap)
  .IsUpdated()
  .InNamespace("compat-deletion-timestamp")
  .WithDeletionTimestamp()
  .Watch((cm) => {
    Log.info({ name: cm.metadata.name, deleting: Boolean(cm.metadata.deletionTimestamp) }, "watched while deleting");
  });
