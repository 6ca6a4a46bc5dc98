/** The sample capability `capstan init` writes, and its unit test. */
export const capabilitySource = `import { a, Capability, Log } from "capstan";

/**
 * A sample capability in the namespace "hello-capstan": it labels ConfigMaps on the way in, refuses
 * ConfigMaps that hold a key named "password", and logs each labelled ConfigMap it sees change.
 */
export const HelloCapstan = new Capability({
  name: "hello-capstan",
  description: "Labels, checks and watches ConfigMaps in the hello-capstan namespace",
  namespaces: ["hello-capstan"],
});

const { When } = HelloCapstan;

/** Business rules as plain functions: the tests call them without a cluster. */
export function forbiddenKeys(data: Record<string, string> | undefined): string[] {
  return Object.keys(data ?? {}).filter((key) => key.toLowerCase().includes("password"));
}

When(a.ConfigMap)
  .IsCreatedOrUpdated()
  .Mutate((request) => {
    request.SetLabel("hello.capstan.dev/seen", "true");
  })
  .Validate((request) => {
    const keys = forbiddenKeys(request.Raw.data);
    return keys.length > 0
      ? request.Deny(\`Secrets belong in a Secret, not a ConfigMap: \${keys.join(", ")}\`)
      : request.Approve();
  })
  .Watch((configMap, phase) => {
    Log.info({ name: configMap.metadata?.name, phase }, "ConfigMap changed");
  });
`;

export const capabilityTestSource = `import {
  admissionTester,
  controllerTester,
  expectAllowed,
  expectDenied,
  expectLabels,
  expectNotMatched,
} from "capstan/testing";
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

/** `scenarios/hello-capstan.scenarios.yaml`, run offline by `capstan test`. */
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
