import { a, Capability, Log } from "pepr";

export const HelloPeprStore = new Capability({
  name: "hello-pepr-store",
  description: "The Store across a move from Pepr",
  namespaces: ["compat-store"],
});

const { When, Store } = HelloPeprStore;

Store.onReady((data) => {
  Log.info({ keys: Object.keys(data).sort() }, "store is ready");
});

Store.subscribe((data) => {
  Log.info({ keys: Object.keys(data).sort(), last: data["v2-last-seen"] ?? "" }, "store changed");
});

When(a.ConfigMap)
  .IsCreated()
  .InNamespace("compat-store")
  .Mutate((request) => {
    request.SetAnnotation("from-pepr", Store.getItem("example-1") ?? "missing");
    request.SetAnnotation("from-pepr-too", Store.getItem("example-2") ?? "missing");
    Store.setItem("last-seen", request.Raw.metadata.name);
  });

When(a.Secret)
  .IsCreated()
  .InNamespace("compat-store")
  .Watch(async (secret) => {
    await Store.setItemAndWait("secret", secret.metadata.name);
    Log.info({ stored: Store.getItem("secret") }, "setItemAndWait resolved");
    Store.removeItem("example-2");
  });
