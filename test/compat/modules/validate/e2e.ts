import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

const configMap = (name: string, labels = "") => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: compat-validate
${labels ? `  labels:\n${labels}` : ""}`;

const secret = (name: string, labels: string) => `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
  namespace: compat-validate
  labels:
${labels}
type: Opaque
stringData:
  key: value
`;

export default {
  description: "Validate approves, denies with Pepr's message and code, and returns warnings kubectl prints",
  async run(t) {
    await t.apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: compat-validate\n");

    const denied = await t.kubectlRun(["apply", "-f", "-"], configMap("no-pass"));
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(
      `admission webhook "pepr-validate.pepr.dev" denied the request: ConfigMap must carry the label 'pass'`,
    );
    await t.apply(configMap("with-pass", '    pass: "yes"\n'));
    expect(await t.kubectl("get", "configmap", "with-pass", "-n", "compat-validate", "-o", "name")).toBe(
      "configmap/with-pass\n",
    );

    const warned = await t.kubectlRun(["apply", "-f", "-"], secret("warned", '    deprecated: "yes"\n'));
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stderr).toContain("Warning: the label 'deprecated' is deprecated: use 'legacy'");
    expect(warned.stderr).toContain("Warning: Secrets should name their owner in the annotation 'owner'");

    const deniedWithWarnings = await t.kubectlRun(["apply", "-f", "-"], secret("refused", '    deny: "yes"\n'));
    expect(deniedWithWarnings.code).not.toBe(0);
    expect(deniedWithWarnings.stderr).toContain("Warning: Secrets should name their owner in the annotation 'owner'");
    expect(deniedWithWarnings.stderr).toContain(
      `admission webhook "pepr-validate.pepr.dev" denied the request: Secrets labelled 'deny' are refused`,
    );

    // The code the callback chose reaches the client (kubectl -v shows the Status).
    const status = await t.kubectlRun(["create", "-f", "-", "-o", "json", "-v=6"], configMap("no-pass-2"));
    expect(status.stderr).toMatch(/ 422 Unprocessable Entity/);

    await t.waitForLog(/"msg":"Validation action complete \(validateCallback\): denied"/);
    await t.waitForLog(/"msg":"Validation action complete \(validateCallback\): allowed"/);
    await t.waitForLog(/"msg":"Processing validation request"/);
  },
} satisfies CompatTest;
