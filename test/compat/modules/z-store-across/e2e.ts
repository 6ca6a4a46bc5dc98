import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

const ns = "z-store-across";

// Pepr 1.1.4's PeprStore CRD and the module's object as Pepr writes it: `<capability>-v2-<key>`.
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
  name: pepr-z-store-across-store
  namespace: pepr-system
data:
  __pepr_do_not_delete__: k-thx-bye
  z-store-left-v2-color: red
  z-store-right-v2-color: blue
`;

interface ConfigMap {
  metadata: { annotations?: Record<string, string> };
}

export default {
  description:
    "Store across capabilities: one key name, two values; subscribe, onReady and clear stay within their capability",
  async setup(t) {
    await t.kubectl("create", "namespace", "pepr-system").catch(() => "");
    await t.apply(peprStoreCrd);
    await t.kubectl("wait", "--for=condition=Established", "crd/peprstores.pepr.dev", "--timeout=60s");
    await t.apply(peprStore);
  },
  async run(t) {
    const records = (msg: string, capability: string) =>
      t.moduleLogRecords().filter((line) => line.msg === msg && line.capability === capability);
    // onReady: each capability gets its own key from the PeprStore, in Pepr's `v2-` form.
    await t.waitFor("both capabilities ready", async () =>
      records("store ready", "z-store-left").length && records("store ready", "z-store-right").length
        ? true
        : undefined,
    );
    expect(records("store ready", "z-store-left")[0]).toEqual(
      expect.objectContaining({ keys: ["v2-color"], color: "red" }),
    );
    expect(records("store ready", "z-store-right")[0]).toEqual(
      expect.objectContaining({ keys: ["v2-color"], color: "blue" }),
    );

    await t.apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`);
    const create = async (name: string, data = "{}") =>
      t.apply(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata: ${data}\n`);
    const colors = async (name: string) => {
      await create(name);
      const cm = JSON.parse(await t.kubectl("get", "configmap", name, "-n", ns, "-o", "json")) as ConfigMap;
      return [cm.metadata.annotations?.["z-store-left-color"], cm.metadata.annotations?.["z-store-right-color"]];
    };
    expect(await colors("read-1")).toEqual(["red", "blue"]);

    // One capability's write changes its own key only.
    await create("paint", "{ color: green }");
    await t.waitFor("left's subscriber sees green", async () =>
      records("store changed", "z-store-left").some((line) => line.color === "green") ? true : undefined,
    );
    expect(await colors("read-2")).toEqual(["green", "blue"]);

    // clear() empties the right capability's Store, not the left's.
    await create("clear");
    await t.waitForLog(/"msg":"store cleared"/);
    await t.waitFor("right's subscriber sees an empty Store", async () =>
      records("store changed", "z-store-right").some((line) => Array.isArray(line.keys) && line.keys.length === 0)
        ? true
        : undefined,
    );
    expect(await colors("read-3")).toEqual(["green", "missing"]);

    // A subscriber is only ever given its own capability's data.
    for (const line of records("store changed", "z-store-right")) expect(["blue", ""]).toContain(line.color);
    for (const line of records("store changed", "z-store-left")) expect(["red", "green"]).toContain(line.color);
    await t.kubectl("delete", "namespace", ns, "--wait=false");
  },
} satisfies CompatTest;
