import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

interface ConfigMap {
  metadata: { annotations?: Record<string, string>; deletionTimestamp?: string };
}

const held = (name: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: compat-deletion-timestamp
  finalizers:
    - compat.example/hold
data:
  state: created
`;

export default {
  description: "WithDeletionTimestamp selects only updates of objects being deleted; Mutate still patches them",
  async run(t) {
    await t.apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: compat-deletion-timestamp\n");
    const get = async (name: string) =>
      JSON.parse(
        await t.kubectl("get", "configmap", name, "-n", "compat-deletion-timestamp", "-o", "json"),
      ) as ConfigMap;
    await t.apply(held("deleting"));
    await t.apply(held("living"));

    // An update of an object that is not being deleted: only the plain binding runs.
    await t.kubectl("label", "configmap", "living", "-n", "compat-deletion-timestamp", "touched=yes");
    const living = await get("living");
    expect(living.metadata.annotations?.["updates-seen"]).toBe("yes");
    expect(living.metadata.annotations?.["seen-while-deleting"]).toBeUndefined();

    await t.kubectl("delete", "configmap", "deleting", "-n", "compat-deletion-timestamp", "--wait=false");
    expect((await get("deleting")).metadata.deletionTimestamp).toBeDefined();
    await t.kubectl("label", "configmap", "deleting", "-n", "compat-deletion-timestamp", "touched=yes");
    const deleting = await get("deleting");
    expect(deleting.metadata.annotations?.["seen-while-deleting"]).toBe("yes");
    expect(deleting.metadata.annotations?.["updates-seen"]).toBe("yes");
    await t.waitForLog(/"name":"deleting".*"msg":"watched while deleting"/);
    await t.waitForLog(/"msg":"mutating an object that is being deleted"/);
    expect(
      t
        .moduleLogRecords()
        .filter((line) => line.msg === "mutating an object that is being deleted")
        .map((l) => l.name),
    ).toEqual(["deleting"]);
    expect(
      t
        .moduleLogRecords()
        .filter((line) => line.msg === "watched while deleting")
        .every((line) => line.deleting === true),
    ).toBe(true);

    for (const name of ["deleting", "living"])
      await t.kubectl(
        "patch",
        "configmap",
        name,
        "-n",
        "compat-deletion-timestamp",
        "--type=json",
        "-p",
        '[{"op":"remove","path":"/metadata/finalizers"}]',
      );
  },
} satisfies CompatTest;
