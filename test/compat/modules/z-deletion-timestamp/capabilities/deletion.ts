import type { Operation } from "fast-json-patch";
import type { GenericKind } from "kubernetes-fluent-client";
import { a, Capability, K8s, Log } from "pepr";

// Pods in namespace 1 are given a finalizer and deleted, so their updates carry a deletionTimestamp;
// pods in namespace 2 are only relabelled (no deletionTimestamp), or deleted outright.
const ns1 = "z-deletion-timestamp1";
const ns2 = "z-deletion-timestamp2";

export const HelloPeprDeletion = new Capability({
  name: "z-deletion-timestamp",
  description: "WithDeletionTimestamp across admission and watch bindings",
  namespaces: [ns1, ns2],
});

const { When } = HelloPeprDeletion;

const patch = async (name: string, namespace: string, ops: Operation[]) => {
  try {
    await K8s(a.Pod, { name, namespace }).Patch(ops);
  } catch (e) {
    Log.error(`DTS: could not patch pod ${namespace}/${name}: ${JSON.stringify(e)}`);
  }
};

const holdAndDelete = async (pod: GenericKind) => {
  const { name } = pod.metadata;
  await patch(name, ns1, [{ op: "add", path: "/metadata/finalizers", value: ["example.com/hold"] }]);
  try {
    await K8s(a.Pod).InNamespace(ns1).Delete(name);
  } catch (e) {
    Log.error(`DTS: could not delete pod ${name}: ${JSON.stringify(e)}`);
  }
  await patch(name, ns1, [{ op: "remove", path: "/metadata/finalizers" }]);
};

const relabel = (pod: GenericKind) =>
  patch(pod.metadata.name, ns2, [{ op: "add", path: "/metadata/labels/app", value: "testing" }]);

const seen = (binding: string, name: string) => Log.info(`DTS: ${binding} saw a pod ${name}.`);

// Namespace 1: each pod is held by a finalizer, deleted, then released.
for (const name of ["ns1-admission", "ns1-watch"])
  When(a.Pod).IsCreated().InNamespace(ns1).WithName(name).Watch(holdAndDelete);

When(a.Pod)
  .IsUpdated()
  .InNamespace(ns1)
  .WithName("ns1-admission")
  .WithDeletionTimestamp()
  .Mutate((po) => seen("Mutate", po.Raw.metadata.name));

When(a.Pod)
  .IsUpdated()
  .InNamespace(ns1)
  .WithName("ns1-admission")
  .WithDeletionTimestamp()
  .Validate((po) => {
    seen("Validate", po.Raw.metadata.name);
    return po.Approve();
  });

When(a.Pod)
  .IsUpdated()
  .InNamespace(ns1)
  .WithName("ns1-watch")
  .WithDeletionTimestamp()
  .Watch((po) => seen("Watch", po.metadata.name));

// Namespace 2: updates without a deletionTimestamp must not match.
for (const name of ["ns2-admission", "ns2-watch"])
  When(a.Pod).IsCreated().InNamespace(ns2).WithName(name).Watch(relabel);

When(a.Pod)
  .IsUpdated()
  .InNamespace(ns2)
  .WithName("ns2-admission")
  .WithDeletionTimestamp()
  .Mutate((po) => seen("Mutate", po.Raw.metadata.name));

When(a.Pod)
  .IsUpdated()
  .InNamespace(ns2)
  .WithName("ns2-admission")
  .WithDeletionTimestamp()
  .Validate((po) => {
    seen("Validate", po.Raw.metadata.name);
    return po.Approve();
  });

When(a.Pod)
  .IsUpdated()
  .InNamespace(ns2)
  .WithName("ns2-watch")
  .WithDeletionTimestamp()
  .Watch((po) => seen("Watch", po.metadata.name));

// A deleted pod's last state carries its deletionTimestamp.
When(a.Pod)
  .IsDeleted()
  .InNamespace(ns2)
  .WithName("ns2-delete")
  .WithDeletionTimestamp()
  .Watch((po) => seen("Watch", po.metadata.name));
