import { a, Capability } from "pepr";

export const HelloPeprConfig = new Capability({
  name: "hello-pepr-config",
  description: "Reads the module's configuration",
});

const { When } = HelloPeprConfig;

// No namespaces on the capability: every namespace but the ignored ones.
When(a.ConfigMap)
  .IsCreated()
  .WithLabel("compat-config")
  .Mutate((request) => {
    request.SetAnnotation("greeting", process.env.GREETING ?? "unset");
    request.SetAnnotation("second-setting", process.env.SECOND_SETTING ?? "unset");
  });

When(a.ConfigMap)
  .IsCreated()
  .WithName("throws")
  .Mutate(() => {
    throw new Error("failed on purpose; onError ignore lets the object in");
  });
