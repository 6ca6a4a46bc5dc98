import { WatchPhase } from "kubernetes-fluent-client/dist/fluent/shared-types";
import { a, Capability, K8s, kind, Log } from "pepr";

export const HelloPeprWatch = new Capability({
  name: "hello-pepr-watch",
  description: "Watch() on ConfigMaps",
  namespaces: ["compat-watch"],
});

const { When } = HelloPeprWatch;

When(a.ConfigMap)
  .IsCreatedOrUpdated()
  .InNamespace("compat-watch")
  .WithLabel("watch-me")
  .Watch(async (cm, phase) => {
    Log.info({ name: cm.metadata.name, phase, value: cm.data?.value }, "watch: created or updated");
    await K8s(kind.ConfigMap).Apply({
      metadata: { name: `${cm.metadata.name}-seen`, namespace: "compat-watch" },
      data: { phase, value: cm.data?.value ?? "" },
    });
  });

When(a.ConfigMap)
  .IsDeleted()
  .InNamespace("compat-watch")
  .WithLabel("watch-me")
  .Watch((cm, phase) => {
    if (phase === WatchPhase.Deleted) {
      Log.info({ name: cm.metadata.name, phase }, "watch: deleted");
    }
  });

When(a.ConfigMap)
  .IsCreated()
  .InNamespace("compat-watch")
  .WithName("throws")
  .Watch(() => {
    throw new Error("the watch callback failed on purpose");
  });
