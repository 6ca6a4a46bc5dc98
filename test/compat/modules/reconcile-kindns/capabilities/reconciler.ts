import type { KubernetesObject } from "kubernetes-fluent-client";
import { a, Capability, Log } from "pepr";

export const Reconciler = new Capability({
  name: "reconciler",
  description: "Reconcile() with the kindNs strategy",
  namespaces: ["compat-reconcile-kindns-a", "compat-reconcile-kindns-b"],
});

const { When } = Reconciler;

const reconcile = (kind: string) => async (object: KubernetesObject, phase: string) => {
  const line = {
    kind,
    namespace: object.metadata?.namespace,
    name: object.metadata?.name,
    value: object.metadata?.annotations?.value,
    phase,
  };
  Log.info(line, "reconcile start");
  await new Promise((resolve) => setTimeout(resolve, 150));
  Log.info(line, "reconcile end");
};

When(a.ConfigMap).IsCreatedOrUpdated().WithLabel("compat-e2e").Reconcile(reconcile("ConfigMap"));
When(a.Secret).IsCreatedOrUpdated().WithLabel("compat-e2e").Reconcile(reconcile("Secret"));
