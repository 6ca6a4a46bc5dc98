import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

const ns1 = "z-deletion-timestamp1";
const ns2 = "z-deletion-timestamp2";

const pod = (name: string, namespace: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${namespace}
  labels:
    run: ${name}
spec:
  containers:
    - name: ${name}
      image: nginx
`;

export default {
  description: "WithDeletionTimestamp: Mutate, Validate and Watch see updates of pods being deleted, and nothing else",
  async run(t) {
    for (const ns of [ns1, ns2]) {
      await t.apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`);
      // Pods need the namespace's default ServiceAccount, which the controller-manager makes.
      await t.waitFor(`serviceaccount default in ${ns}`, async () =>
        (await t.kubectlRun(["get", "serviceaccount", "default", "-n", ns])).code === 0 ? true : undefined,
      );
    }
    for (const name of ["ns1-admission", "ns1-watch"]) await t.apply(pod(name, ns1));
    for (const name of ["ns2-admission", "ns2-watch", "ns2-delete"]) await t.apply(pod(name, ns2));
    await t.kubectl("delete", "pod", "ns2-delete", "-n", ns2, "--wait=false");

    await t.waitForLog(/DTS: Mutate saw a pod ns1-admission\./);
    await t.waitForLog(/DTS: Validate saw a pod ns1-admission\./);
    await t.waitForLog(/DTS: Watch saw a pod ns1-watch\./);
    await t.waitForLog(/DTS: Watch saw a pod ns2-delete\./);
    // Both ns1 pods are gone once their finalizer is released.
    for (const name of ["ns1-admission", "ns1-watch"])
      await t.waitFor(`pod ${name} deleted`, async () =>
        (await t.kubectlRun(["get", "pod", name, "-n", ns1])).code !== 0 ? true : undefined,
      );
    // The ns2 pods were relabelled (an update without a deletionTimestamp): nothing saw them.
    for (const name of ["ns2-admission", "ns2-watch"])
      await t.waitFor(`pod ${name} relabelled`, async () =>
        (await t.kubectl("get", "pod", name, "-n", ns2, "-o", "jsonpath={.metadata.labels.app}")) === "testing"
          ? true
          : undefined,
      );
    await t.sleep(2000);
    const dts = t.moduleLogs().filter((line) => line.includes("DTS:"));
    expect(dts.join("\n")).not.toMatch(/saw a pod ns2-(admission|watch)/);
    expect(dts.join("\n")).not.toMatch(/DTS: could not/);
    for (const ns of [ns1, ns2]) await t.kubectl("delete", "namespace", ns, "--wait=false");
  },
} satisfies CompatTest;
