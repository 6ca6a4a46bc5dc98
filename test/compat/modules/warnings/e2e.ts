import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

const configMap = (name: string, labels: string, image: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: compat-warnings
${labels ? `  labels:\n${labels}` : ""}data:
  image: "${image}"
`;

const warningsOf = (stderr: string) =>
  stderr
    .split("\n")
    .filter((line) => line.startsWith("Warning: "))
    .map((line) => line.slice("Warning: ".length))
    .sort();

export default {
  description: "Warnings of every Validate binding reach kubectl, with an approval and with a denial",
  async run(t) {
    await t.apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: compat-warnings\n");
    const quiet = await t.kubectlRun(["apply", "-f", "-"], configMap("quiet", "    app: a\n    team: b\n", "ok:1"));
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(warningsOf(quiet.stderr)).toEqual([]);

    const noisy = await t.kubectlRun(["apply", "-f", "-"], configMap("noisy", "", "nginx:latest"));
    expect(noisy.code, noisy.stderr).toBe(0);
    expect(warningsOf(noisy.stderr)).toEqual([
      "image-policy: nginx:latest uses the 'latest' tag",
      "label-policy: ConfigMaps should have a 'team' label",
      "label-policy: ConfigMaps should have an 'app' label",
    ]);

    const denied = await t.kubectlRun(
      ["apply", "-f", "-"],
      configMap("denied", "    app: a\n", "untrusted.example/x:1"),
    );
    expect(denied.code).not.toBe(0);
    expect(warningsOf(denied.stderr)).toEqual([
      "image-policy: see the registry allow-list",
      "label-policy: ConfigMaps should have a 'team' label",
    ]);
    expect(denied.stderr).toContain(
      `admission webhook "pepr-warnings.pepr.dev" denied the request: image-policy: untrusted.example/x:1 comes from an untrusted registry`,
    );
  },
} satisfies CompatTest;
