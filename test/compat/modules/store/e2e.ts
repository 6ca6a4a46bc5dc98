import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

interface ConfigMap {
  metadata: { annotations?: Record<string, string> };
}

// The PeprStore CRD and object as Pepr 1.1.4 writes them (src/lib/controller/store.ts): one
// `pepr-<uuid>-store` in pepr-system, `data` keyed `<capability>-v2-<key>`, with Pepr's placeholder.
const peprStoreCrd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: peprstores.pepr.dev
spec:
  group: pepr.dev
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            data:
              type: object
              additionalProperties:
                type: string
  scope: Namespaced
  names:
    plural: peprstores
    singular: peprstore
    kind: PeprStore
`;

const peprStore = `apiVersion: pepr.dev/v1
kind: PeprStore
metadata:
  name: pepr-store-store
  namespace: pepr-system
  labels:
    pepr.dev-cacheID: "1764800000000"
data:
  __pepr_do_not_delete__: k-thx-bye
  hello-pepr-store-v2-example-1: was-here
  hello-pepr-store-v2-example-2: was-here-too
`;

export default {
  description:
    "Data in the PeprStore Pepr left is the module's Store: getItem reads it, subscribe and setItemAndWait work",
  async setup(t) {
    await t.kubectl("create", "namespace", "pepr-system").catch(() => "");
    await t.apply(peprStoreCrd);
    await t.kubectl("wait", "--for=condition=Established", "crd/peprstores.pepr.dev", "--timeout=60s");
    await t.apply(peprStore);
  },
  async run(t) {
    const ready = await t.waitForLog(/"msg":"store is ready"/);
    expect(JSON.parse(ready).keys).toEqual(["v2-example-1", "v2-example-2"]);

    await t.apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: compat-store\n");
    await t.apply("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n  namespace: compat-store\n");
    const cm = JSON.parse(
      await t.kubectl("get", "configmap", "first", "-n", "compat-store", "-o", "json"),
    ) as ConfigMap;
    expect(cm.metadata.annotations?.["from-pepr"]).toBe("was-here");
    expect(cm.metadata.annotations?.["from-pepr-too"]).toBe("was-here-too");
    await t.waitForLog(/"last":"first","msg":"store changed"/);

    await t.apply(
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: kept\n  namespace: compat-store\nstringData:\n  a: b\n",
    );
    const resolved = await t.waitForLog(/"msg":"setItemAndWait resolved"/);
    expect(JSON.parse(resolved).stored).toBe("kept");
    await t.waitFor("example-2 removed", async () =>
      t
        .moduleLogRecords()
        .some(
          (line) =>
            line.msg === "store changed" &&
            Array.isArray(line.keys) &&
            line.keys.includes("v2-secret") &&
            !line.keys.includes("v2-example-2"),
        )
        ? true
        : undefined,
    );
  },
} satisfies CompatTest;
