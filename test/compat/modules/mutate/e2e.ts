import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

interface ConfigMap {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

const namespace = `apiVersion: v1
kind: Namespace
metadata:
  name: compat-mutate
`;

export default {
  description: "Mutate sets and removes labels and annotations; <uuid>.pepr.dev/<capability> reads succeeded",
  async run(t) {
    await t.apply(namespace);
    const get = async (name: string) =>
      JSON.parse(await t.kubectl("get", "configmap", name, "-n", "compat-mutate", "-o", "json")) as ConfigMap;

    await t.apply(`apiVersion: v1
kind: ConfigMap
metadata:
  name: example-1
  namespace: compat-mutate
  labels:
    remove-me: "yes"
  annotations:
    remove-me: "yes"
data:
  key: ex-1-val
`);
    const cm = await get("example-1");
    expect(cm.metadata.labels).toEqual({ pepr: "was-here" });
    expect(cm.metadata.annotations?.["pepr.dev"]).toBe("annotations-work");
    expect(cm.metadata.annotations?.["mutate.pepr.dev/hello-pepr-mutate"]).toBe("succeeded");
    expect(cm.metadata.annotations?.["remove-me"]).toBeUndefined();

    // During the callback the capability's annotation reads "started".
    await t.apply(`apiVersion: v1
kind: ConfigMap
metadata:
  name: example-2
  namespace: compat-mutate
  labels:
    change: by-label
data:
  key: ex-2-val
`);
    const changed = await get("example-2");
    expect(changed.data).toEqual({ key: "ex-2-val", "pepr-status": "started", changed: "by-label" });
    expect(changed.metadata.annotations?.["mutate.pepr.dev/hello-pepr-mutate"]).toBe("succeeded");

    // A callback that throws leaves "warning"; onError reject refuses the object.
    const thrown = await t.kubectlRun(
      ["apply", "-f", "-"],
      `apiVersion: v1
kind: ConfigMap
metadata:
  name: example-throws
  namespace: compat-mutate
`,
    );
    expect(thrown.code).not.toBe(0);
    expect(thrown.stderr).toContain('admission webhook "pepr-mutate.pepr.dev" denied the request');

    await t.waitForLog(/"msg":"Mutation action succeeded \(mutateCallback\)"/);
    const lines = t.moduleLogRecords().filter((line) => line.msg === "Incoming request");
    expect(lines.length).toBeGreaterThan(0);
  },
} satisfies CompatTest;
