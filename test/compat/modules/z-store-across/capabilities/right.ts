import { a, Capability, Log } from "pepr";

import { namespace, observe } from "./shared";

export const Right = new Capability({
  name: "z-store-right",
  description: "clears its Store on request",
  namespaces: [namespace],
});

observe(Right);

const { When, Store } = Right;

When(a.ConfigMap)
  .IsCreated()
  .InNamespace(namespace)
  .WithName("clear")
  .Watch(() => {
    Store.clear();
    Log.info({ capability: Right.name }, "store cleared");
  });
