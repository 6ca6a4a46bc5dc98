import { a, Capability } from "pepr";

import { namespace, observe } from "./shared";

export const Left = new Capability({
  name: "z-store-left",
  description: "writes its color from a ConfigMap",
  namespaces: [namespace],
});

observe(Left);

const { When, Store } = Left;

When(a.ConfigMap)
  .IsCreated()
  .InNamespace(namespace)
  .WithName("paint")
  .Mutate((request) => {
    Store.setItem("color", request.Raw.data?.color ?? "none");
  });
