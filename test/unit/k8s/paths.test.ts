import { describe, expect, it } from "vitest";
import { kindOf } from "../../../src/k8s/kinds.ts";
import { ConfigMap, Deployment, Namespace } from "../../../src/k8s/models.ts";
import { resourcePath } from "../../../src/k8s/paths.ts";

describe("resourcePath", () => {
  it("builds core, grouped, namespaced and cluster-scoped paths", () => {
    expect(resourcePath(kindOf(ConfigMap))).toBe("/api/v1/configmaps");
    expect(resourcePath(kindOf(ConfigMap), { namespace: "a", name: "b" })).toBe("/api/v1/namespaces/a/configmaps/b");
    expect(resourcePath(kindOf(Deployment), { namespace: "a", name: "d", subresource: "scale" })).toBe(
      "/apis/apps/v1/namespaces/a/deployments/d/scale",
    );
    expect(resourcePath(kindOf(Namespace), { namespace: "ignored", name: "n" })).toBe("/api/v1/namespaces/n");
  });

  it("refuses a subresource without a name", () => {
    expect(() => resourcePath(kindOf(Deployment), { subresource: "scale" })).toThrow(/needs an object name/);
  });
});
