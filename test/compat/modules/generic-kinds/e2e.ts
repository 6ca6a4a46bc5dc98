import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

const crd = (kind: string, plural: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${plural}.compat-generic.dev
spec:
  group: compat-generic.dev
  scope: Namespaced
  names:
    kind: ${kind}
    plural: ${plural}
    singular: ${kind.toLowerCase()}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size:
                  type: integer
                color:
                  type: string
`;

interface Widget {
  spec?: { size?: number; color?: string };
}

export default {
  description: "Mutate, Validate and Watch on custom resources registered with RegisterKind or named by GenericKind",
  async setup(t) {
    await t.apply(crd("Widget", "widgets"));
    await t.apply(crd("Gadget", "gadgets"));
    await t.kubectl(
      "wait",
      "--for=condition=Established",
      "crd/widgets.compat-generic.dev",
      "crd/gadgets.compat-generic.dev",
      "--timeout=60s",
    );
  },
  async run(t) {
    await t.apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: compat-generic\n");
    const widget = (name: string, size: number) =>
      `apiVersion: compat-generic.dev/v1\nkind: Widget\nmetadata:\n  name: ${name}\n  namespace: compat-generic\nspec:\n  size: ${size}\n`;
    await t.apply(widget("small", 3));
    const small = JSON.parse(await t.kubectl("get", "widget", "small", "-n", "compat-generic", "-o", "json")) as Widget;
    expect(small.spec).toEqual({ size: 3, color: "blue" });

    const big = await t.kubectlRun(["apply", "-f", "-"], widget("big", 11));
    expect(big.code).not.toBe(0);
    expect(big.stderr).toContain("denied the request: Widget size 11 is over the limit of 10");

    await t.apply(
      "apiVersion: compat-generic.dev/v1\nkind: Gadget\nmetadata:\n  name: g1\n  namespace: compat-generic\nspec:\n  size: 1\n",
    );
    await t.waitForLog(/"msg":"gadget seen"/);
    const made = await t.waitFor("the Widget the Gadget's Watch applied", async () => {
      const result = await t.kubectlRun(["get", "widget", "g1-widget", "-n", "compat-generic", "-o", "json"]);
      return result.code === 0 ? (JSON.parse(result.stdout) as Widget) : undefined;
    });
    // The Watch's Apply went through the module's own admission webhooks.
    expect(made.spec).toEqual({ size: 1, color: "blue" });
  },
} satisfies CompatTest;
