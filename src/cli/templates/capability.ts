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

export const capabilityTestSource = `import { describe, expect, it } from "vitest";
import { forbiddenKeys, HelloCapstan } from "./hello-capstan.ts";

describe("hello-capstan", () => {
  it("finds keys that look like passwords", () => {
    expect(forbiddenKeys({ PASSWORD: "x", user: "y", db_password: "z" })).toEqual(["PASSWORD", "db_password"]);
    expect(forbiddenKeys(undefined)).toEqual([]);
  });

  it("binds a mutate, a validate and a watch on ConfigMaps", () => {
    const actions = HelloCapstan.bindings.map((binding) => \`\${binding.action} \${binding.kind.kind}\`);
    expect(actions).toEqual(["mutate ConfigMap", "validate ConfigMap", "watch ConfigMap"]);
  });
});
`;
