import { a, Capability, Log } from "capstan";

export const hello = new Capability({
  name: "hello",
  description: "Greets ConfigMaps, keeps Pods off the host network, counts what it sees",
  namespaces: ["demo"],
});

const { When, Store } = hello;

When(a.ConfigMap)
  .IsCreatedOrUpdated()
  .InNamespace("demo")
  .Mutate((req) => {
    req.SetLabel("capstan.dev/greeted", "yes");
  });

When(a.Pod)
  .IsCreated()
  .InNamespace("demo")
  .Validate((req) =>
    req.Raw.spec?.hostNetwork ? req.Deny("Pods in demo may not use the host network", 403) : req.Approve(),
  );

When(a.ConfigMap)
  .IsCreated()
  .InNamespace("demo")
  .WithLabel("count-me")
  .Watch(async (cm, phase) => {
    const seen = Number(Store.getItem("seen") ?? "0") + 1;
    await Store.setItemAndWait("seen", String(seen));
    Log.info({ name: cm.metadata?.name, phase, seen }, "counted a ConfigMap");
  });
