import { a, Capability } from "pepr";

export const HelloPeprAlias = new Capability({
  name: "hello-pepr-alias",
  description: "Alias() on bindings",
  namespaces: ["compat-alias"],
});

const { When } = HelloPeprAlias;

When(a.ConfigMap)
  .IsCreated()
  .InNamespace("compat-alias")
  .WithName("aliased")
  .Alias("alias:create:aliased")
  .Mutate((request, logger) => {
    logger.info("External api call (mutate)");
    request.SetLabel("aliased", "yes");
  })
  .Validate((request, logger) => {
    logger.info("External api call (validate)");
    return request.Approve();
  })
  .Watch((cm, phase, logger) => {
    logger.info({ phase }, "External api call (watch)");
  });

When(a.ConfigMap)
  .IsCreated()
  .InNamespace("compat-alias")
  .WithName("reconciled")
  .Alias("alias:reconcile")
  .Reconcile((cm, phase, logger) => {
    logger.info({ phase }, "External api call (reconcile)");
  });

When(a.ConfigMap)
  .IsCreated()
  .InNamespace("compat-alias")
  .WithName("no-alias")
  .Mutate((request, logger) => {
    logger.info("External api call (mutate, no alias)");
  });
