import { a, type Capability, Log } from "pepr";

export const namespace = "z-store-across";

/** Logs the capability's Store as onReady and subscribe get it, and annotates `read*` ConfigMaps with its color. */
export function observe(capability: Capability) {
  const { name } = capability;
  const { When, Store } = capability;
  Store.onReady((data) =>
    Log.info({ capability: name, keys: Object.keys(data).sort(), color: data["v2-color"] ?? "" }, "store ready"),
  );
  Store.subscribe((data) =>
    Log.info({ capability: name, keys: Object.keys(data).sort(), color: data["v2-color"] ?? "" }, "store changed"),
  );
  When(a.ConfigMap)
    .IsCreated()
    .InNamespace(namespace)
    .WithNameRegex(/^read/)
    .Mutate((request) => {
      request.SetAnnotation(`${name}-color`, Store.getItem("color") ?? "missing");
    });
}
