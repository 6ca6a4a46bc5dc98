import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

interface ConfigMap {
  metadata: { finalizers?: string[]; deletionTimestamp?: string };
}

const configMap = (name: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: compat-finalize
data: {}
`;

export default {
  description:
    "Finalize adds pepr.dev/finalizer, runs on delete, removes it (Pepr's debug lines) or keeps it when the callback returns false",
  async run(t) {
    await t.apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: compat-finalize\n");
    const get = async (name: string) =>
      JSON.parse(await t.kubectl("get", "configmap", name, "-n", "compat-finalize", "-o", "json")) as ConfigMap;
    for (const name of ["cm-watch", "cm-reconcile", "cm-opt-out"]) {
      await t.apply(configMap(name));
      expect((await get(name)).metadata.finalizers).toEqual(["pepr.dev/finalizer"]);
    }
    await t.waitForLog(/external api call: watch\/callback/);
    await t.waitForLog(/external api call: reconcile\/callback/);
    await t.waitForLog(/external api call: opt-out\/callback/);

    await t.kubectl(
      "delete",
      "configmap",
      "cm-watch",
      "cm-reconcile",
      "cm-opt-out",
      "-n",
      "compat-finalize",
      "--wait=false",
    );
    await t.waitForLog(/Removed finalizer 'pepr\.dev\/finalizer' from 'compat-finalize\/cm-watch'/);
    await t.waitForLog(/Removed finalizer 'pepr\.dev\/finalizer' from 'compat-finalize\/cm-reconcile'/);
    await t.waitForLog(/Skipping removal of finalizer 'pepr\.dev\/finalizer' from 'compat-finalize\/cm-opt-out'/);
    for (const name of ["cm-watch", "cm-reconcile"])
      await t.waitFor(`${name} to be gone`, async () =>
        (await t.kubectlRun(["get", "configmap", name, "-n", "compat-finalize"])).stderr.includes("NotFound")
          ? true
          : undefined,
      );

    const messages = t
      .moduleLogRecords()
      .map((line) => String(line.msg))
      .filter((msg) => msg.startsWith("external api call"));
    expect(messages).toEqual(
      expect.arrayContaining([
        "external api call: watch/finalize",
        "external api call: reconcile/finalize",
        "external api call: opt-out/pre-finalize",
      ]),
    );
    expect(messages.indexOf("external api call: watch/callback")).toBeLessThan(
      messages.indexOf("external api call: watch/finalize"),
    );

    // Opted out: the finalizer stays, the object waits in deletion.
    const kept = await get("cm-opt-out");
    await t.kubectl(
      "patch",
      "configmap",
      "cm-opt-out",
      "-n",
      "compat-finalize",
      "--type=json",
      "-p",
      '[{"op":"replace","path":"/metadata/finalizers","value":[]}]',
    );
    expect(kept.metadata.finalizers).toEqual(["pepr.dev/finalizer"]);
    expect(kept.metadata.deletionTimestamp).toBeDefined();
  },
} satisfies CompatTest;
