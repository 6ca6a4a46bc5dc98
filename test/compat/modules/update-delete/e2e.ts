import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

const configMap = (name: string, labels: string, data: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: compat-update-delete
${labels ? `  labels:\n${labels}` : ""}data:
${data}`;

export default {
  description:
    "OldResource on UPDATE and DELETE: a protected object cannot be deleted, a field cannot change, Mutate counts revisions",
  async run(t) {
    await t.apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: compat-update-delete\n");
    const ns = ["-n", "compat-update-delete"];
    await t.apply(configMap("guarded", '    protected: "true"\n', '  immutable: "one"\n'));
    const revision = async () =>
      (await t.kubectl("get", "configmap", "guarded", ...ns, "-o", "jsonpath={.metadata.annotations.revision}")).trim();
    expect(await revision()).toBe("");

    await t.apply(configMap("guarded", '    protected: "true"\n', '  immutable: "one"\n  other: "x"\n'));
    expect(await revision()).toBe("1");
    await t.apply(configMap("guarded", '    protected: "true"\n', '  immutable: "one"\n  other: "y"\n'));
    expect(await revision()).toBe("2");

    const changed = await t.kubectlRun(
      ["apply", "-f", "-"],
      configMap("guarded", '    protected: "true"\n', '  immutable: "two"\n'),
    );
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toContain("denied the request: data.immutable cannot change (was one)");

    const deleted = await t.kubectlRun(["delete", "configmap", "guarded", ...ns]);
    expect(deleted.code).not.toBe(0);
    expect(deleted.stderr).toContain(
      `admission webhook "pepr-update-delete.pepr.dev" denied the request: ConfigMap guarded is protected`,
    );

    await t.kubectl("label", "configmap", "guarded", ...ns, "protected=false", "--overwrite");
    expect(await revision()).toBe("3");
    await t.kubectl("delete", "configmap", "guarded", ...ns);
    const gone = await t.kubectlRun(["get", "configmap", "guarded", ...ns]);
    expect(gone.stderr).toContain("NotFound");
  },
} satisfies CompatTest;
