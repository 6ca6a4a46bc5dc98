import { a, Capability, Log } from "pepr";

const name = "z-config";

// The capability covers both namespaces; the module's alwaysIgnore keeps z-config-ignore out.
export const HelloPeprConfig = new Capability({
  name,
  description: "reads the module's pepr block",
  namespaces: [name, `${name}-ignore`],
});

const { When } = HelloPeprConfig;

When(a.Namespace)
  .IsCreated()
  .Mutate(async function annotate(request) {
    request.SetAnnotation("pepr", "was here");
  });

When(a.ConfigMap)
  .IsCreated()
  .WithName("noop")
  .Mutate(async function mutateEnv(request) {
    Log.info({ ITS: process.env.ITS, namespace: request.Raw.metadata?.namespace }, "env");
  });

When(a.ConfigMap)
  .IsCreated()
  .WithName("noop")
  .Validate(async function validateNoop(request) {
    Log.info({ namespace: request.Raw.metadata?.namespace }, "noop");
    return request.Approve();
  });
