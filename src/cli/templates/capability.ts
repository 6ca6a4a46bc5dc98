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
    return keys.length > 0 ? request.Deny(\`Secrets belong in a Secret, not a ConfigMap: \${keys.join(", ")}\`) : request.Approve();
  })
  .Watch((configMap, phase) => {
    Log.info({ name: configMap.metadata?.name, phase }, "ConfigMap changed");
  });
`;

export const capabilityTestSource = `import { admissionTester, expectAllowed, expectDenied, expectLabels } from "capstan/testing";
import { describe, expect, it } from "vitest";
import { forbiddenKeys, HelloCapstan } from "./hello-capstan.ts";

const configMap = (data: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "settings", namespace: "hello-capstan" },
  data,
});

describe("hello-capstan", () => {
  // Runs requests through the real admission pipelines, without a cluster.
  const admission = admissionTester(HelloCapstan);

  it("labels ConfigMaps and lets ordinary ones in", async () => {
    const result = await admission.review({ object: configMap({ colour: "blue" }) });
    expectAllowed(result);
    expectLabels(result, { "hello.capstan.dev/seen": "true" });
  });

  it("refuses ConfigMaps holding passwords", async () => {
    expectDenied(await admission.review({ object: configMap({ db_password: "x" }) }), /db_password/);
  });

  it("leaves other namespaces alone", async () => {
    const result = await admission.review({ object: { ...configMap({ password: "x" }), metadata: { name: "x", namespace: "other" } } });
    expectAllowed(result);
  });

  it("finds keys that look like passwords", () => {
    expect(forbiddenKeys({ PASSWORD: "x", user: "y", db_password: "z" })).toEqual(["PASSWORD", "db_password"]);
    expect(forbiddenKeys(undefined)).toEqual([]);
  });
});
`;
