// What the `capstan init` template's test files should be once they use the kit (the template is
// src/cli/templates/, owned elsewhere): `init-template.test.ts` here runs them against the
// template's own capability, offline, as `npm test` in a new module would.

/** `capabilities/hello-capstan.test.ts`. */
export const capabilityKitTestSource = `import { admissionTester, controllerTester, expectAllowed, expectDenied, expectLabels, expectNotMatched } from "capstan/testing";
import { describe, expect, it } from "vitest";
import { forbiddenKeys, HelloCapstan } from "./hello-capstan.ts";

const configMap = (data: Record<string, string> = {}, namespace = "hello-capstan") => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "example", namespace },
  data,
});

describe("hello-capstan", () => {
  it("finds keys that look like passwords", () => {
    expect(forbiddenKeys({ PASSWORD: "x", user: "y", db_password: "z" })).toEqual(["PASSWORD", "db_password"]);
    expect(forbiddenKeys(undefined)).toEqual([]);
  });

  it("labels ConfigMaps on the way in", async () => {
    const result = await admissionTester(HelloCapstan).review({ object: configMap({ user: "y" }) });
    expectAllowed(result);
    expectLabels(result, { "hello.capstan.dev/seen": "true" });
  });

  it("refuses ConfigMaps that hold a password", async () => {
    const result = await admissionTester(HelloCapstan).review({ object: configMap({ db_password: "z" }) });
    expectDenied(result, "Secrets belong in a Secret, not a ConfigMap: db_password");
  });

  it("leaves other namespaces alone", async () => {
    const result = await admissionTester(HelloCapstan).review({ object: configMap({ password: "x" }, "default") });
    expectNotMatched(result);
  });

  it("watches ConfigMaps as they change", async () => {
    const controller = controllerTester(HelloCapstan);
    await controller.apply(configMap({ user: "y" }));
    await controller.apply(configMap({ user: "z" }));
    expect(controller.calls.map((call) => \`\${call.phase} \${call.outcome}\`)).toEqual(["ADDED ok", "MODIFIED ok"]);
    await controller.stop();
  });
});
`;

/** `scenarios/hello-capstan.scenarios.yaml`, for `capstan test`. */
export const scenarioFileSource = `# Run with \`npx capstan test\`: each scenario is an admission request or controller steps, checked offline.
scenarios:
  - name: labels ConfigMaps on the way in
    request:
      object: { apiVersion: v1, kind: ConfigMap, metadata: { name: example, namespace: hello-capstan }, data: { user: y } }
    expect:
      allowed: true
      labels: { hello.capstan.dev/seen: "true" }

  - name: refuses ConfigMaps that hold a password
    request:
      object: { apiVersion: v1, kind: ConfigMap, metadata: { name: example, namespace: hello-capstan }, data: { password: x } }
    expect:
      allowed: false
      message: Secrets belong in a Secret

  - name: watches ConfigMaps as they change
    steps:
      - apply: { apiVersion: v1, kind: ConfigMap, metadata: { name: example, namespace: hello-capstan } }
      - expect:
          calls: [{ binding: hello-capstan/2-watch-configmap, phase: ADDED, outcome: ok }]
`;
