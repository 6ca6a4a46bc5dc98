import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

const alpha = "z-ns-bounded-alpha";
const bravo = "z-ns-bounded-bravo";
const outside = "z-ns-bounded-outside";

interface ConfigMap {
  metadata: { annotations?: Record<string, string> };
}

export default {
  description:
    "Capability namespaces bound Mutate and Watch bindings, InNamespace/InNamespaceRegex/WithNameRegex inside them; namespaces: [] sees all",
  async run(t) {
    // Created, not applied (as Pepr's e2e tests do): kubectl apply adds an annotation of its own.
    const create = async (yaml: string) => {
      const created = await t.kubectlRun(["create", "-f", "-"], yaml);
      if (created.code !== 0) throw new Error(`kubectl create failed: ${created.stderr}`);
    };
    for (const ns of [alpha, bravo, outside])
      await create(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`);
    for (const [name, ns] of [
      ["one", alpha],
      ["two", bravo],
      ["three", outside],
    ])
      await create(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata: {}\n`);
    const annotations = async (name: string, ns: string) =>
      (JSON.parse(await t.kubectl("get", "configmap", name, "-n", ns, "-o", "json")) as ConfigMap).metadata.annotations;

    const pepr = (capability: string) => ({ [`z-ns-bounded.pepr.dev/${capability}`]: "succeeded" });
    expect(await annotations("one", alpha)).toEqual({
      a: "alpha",
      c: "charlie",
      d: "delta",
      ...pepr("z-ns-bounded"),
      ...pepr("z-ns-all"),
    });
    expect(await annotations("two", bravo)).toEqual({
      b: "bravo",
      c: "charlie",
      d: "delta",
      ...pepr("z-ns-bounded"),
      ...pepr("z-ns-all"),
    });
    // Outside the bounded capability's namespaces only the unbounded one acts.
    expect(await annotations("three", outside)).toEqual({ d: "delta", ...pepr("z-ns-all") });

    await t.waitForLog(/bounded watch saw z-ns-bounded-alpha\/one/);
    await t.waitForLog(/bounded watch saw z-ns-bounded-bravo\/two/);
    await t.sleep(2000);
    expect(t.moduleLogs().join("\n")).not.toContain(`bounded watch saw ${outside}`);
    for (const ns of [alpha, bravo, outside]) await t.kubectl("delete", "namespace", ns, "--wait=false");
  },
} satisfies CompatTest;
