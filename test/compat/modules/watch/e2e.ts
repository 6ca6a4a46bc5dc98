import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

interface ConfigMap {
  metadata: { managedFields?: { manager: string; operation: string }[] };
  data?: Record<string, string>;
}

const watched = (value: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: watched
  namespace: compat-watch
  labels:
    watch-me: "yes"
data:
  value: "${value}"
`;

export default {
  description: "Watch sees ADDED, MODIFIED and DELETED; K8s().Apply from a callback applies as field manager pepr",
  async run(t) {
    await t.apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: compat-watch\n");
    await t.apply(watched("one"));
    const seen = async () =>
      JSON.parse(
        await t.kubectl(
          "get",
          "configmap",
          "watched-seen",
          "-n",
          "compat-watch",
          "-o",
          "json",
          "--show-managed-fields",
        ),
      ) as ConfigMap;
    const first = await t.waitFor("watched-seen", () => seen().catch(() => undefined));
    expect(first.data).toEqual({ phase: "ADDED", value: "one" });
    expect(first.metadata.managedFields?.map((field) => field.manager)).toEqual(["pepr"]);

    await t.apply(watched("two"));
    await t.waitFor("the MODIFIED callback", async () => {
      const cm = await seen();
      return cm.data?.value === "two" ? cm : undefined;
    });
    expect((await seen()).data).toEqual({ phase: "MODIFIED", value: "two" });

    await t.kubectl("delete", "configmap", "watched", "-n", "compat-watch");
    await t.waitForLog(/"msg":"watch: deleted"/);

    await t.apply("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: throws\n  namespace: compat-watch\n");
    await t.waitForLog(/"msg":"Error executing watch callback"/);

    const phases = t
      .moduleLogRecords()
      .filter((line) => line.name === "watched" && typeof line.msg === "string" && line.msg.startsWith("watch:"))
      .map((line) => line.phase);
    expect(phases).toEqual(["ADDED", "MODIFIED", "DELETED"]);
  },
} satisfies CompatTest;
