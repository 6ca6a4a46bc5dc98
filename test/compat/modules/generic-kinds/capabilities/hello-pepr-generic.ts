import { GenericKind } from "kubernetes-fluent-client";
import { a, Capability, K8s, Log, RegisterKind } from "pepr";

export class Widget extends GenericKind {
  spec?: {
    size?: number;
    color?: string;
  };
}

RegisterKind(Widget, {
  group: "compat-generic.dev",
  version: "v1",
  kind: "Widget",
});

export const HelloPeprGeneric = new Capability({
  name: "hello-pepr-generic",
  description: "Custom resources through RegisterKind and GenericKind",
  namespaces: ["compat-generic"],
});

const { When } = HelloPeprGeneric;

When(Widget)
  .IsCreated()
  .Mutate((request) => {
    if (!request.Raw.spec?.color) {
      request.Merge({ spec: { color: "blue" } });
    }
  });

When(Widget)
  .IsCreatedOrUpdated()
  .Validate((request) => {
    const size = request.Raw.spec?.size ?? 0;
    return size > 10 ? request.Deny(`Widget size ${size} is over the limit of 10`) : request.Approve();
  });

When(a.GenericKind, { group: "compat-generic.dev", version: "v1", kind: "Gadget" })
  .IsCreated()
  .Watch(async (gadget) => {
    Log.info({ name: gadget.metadata.name }, "gadget seen");
    await K8s(Widget).Apply({
      apiVersion: "compat-generic.dev/v1",
      kind: "Widget",
      metadata: { name: `${gadget.metadata.name}-widget`, namespace: gadget.metadata.namespace },
      spec: { size: 1 },
    });
  });
