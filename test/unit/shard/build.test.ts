import { describe, expect, it } from "vitest";
import { declareValues } from "../../../src/build/chart-defaults.ts";
import { defaultsReader } from "../../../src/build/chart-values.ts";
import type { parseManifests } from "../../../src/build/deploy/apply.ts";
import { moduleManifests } from "../../../src/build/manifests.ts";
import { moduleNeeds } from "../../../src/build/module-description.ts";
import { deriveRbac } from "../../../src/build/rbac.ts";
import { setControllerReplicas } from "../../../src/cli/commands/deploy.ts";
import { resourceNames } from "../../../src/contract/resource-names.ts";
import { fullModule, input } from "../build/fixtures.ts";

const names = resourceNames("demo", "capstan");
const sharded = (shards: "auto" | number) => ({
  ...fullModule,
  config: { ...fullModule.config, controller: { shards } },
});

describe("controller.shards in the generated manifests", () => {
  it("grants patch on every watched kind and delete on the module's Leases", () => {
    const plain = deriveRbac(fullModule, moduleNeeds(fullModule), names, "scoped");
    const module = sharded("auto");
    const rules = deriveRbac(module, moduleNeeds(module), names, "scoped");
    const configMaps = (r: typeof rules) => r.clusterRules.find((rule) => rule.resources.includes("configmaps"));
    expect(configMaps(plain)?.verbs).toEqual(["get", "list", "watch"]);
    expect(configMaps(rules)?.verbs).toEqual(["get", "list", "patch", "watch"]);
    const leases = (r: typeof rules) => r.namespaceRules.find((rule) => rule.resources.includes("leases"));
    expect(leases(plain)?.verbs).not.toContain("delete");
    expect(leases(rules)?.verbs).toContain("delete");
  });

  it("sets the controller's default replica count to N, keeps 2 for auto", () => {
    const replicas = (module: typeof fullModule) =>
      declareValues(input(module))
        .all()
        .find((value) => value.path === "controller.replicas")?.default;
    expect(replicas(sharded(4))).toBe(4);
    expect(replicas(sharded("auto"))).toBe(2);
    expect(replicas(fullModule)).toBe(2);
  });
});

describe("capstan deploy --controller-replicas", () => {
  const objects = () => {
    const manifests = moduleManifests(input(sharded(3)));
    return manifests.objects(defaultsReader(manifests.catalog)) as ReturnType<typeof parseManifests>;
  };
  const replicasOf = (list: ReturnType<typeof objects>, role: string) =>
    list
      .filter((o) => o.kind === "Deployment")
      .map((o) => o.spec as { replicas?: number; template: { spec: { containers: { name: string }[] } } })
      .find((spec) => spec.template.spec.containers[0]?.name === role)?.replicas;

  it("sets the controller Deployment's replicas only (the build's default is N)", () => {
    const list = objects();
    expect(replicasOf(list, "controller")).toBe(3);
    setControllerReplicas(list, "5");
    expect(replicasOf(list, "controller")).toBe(5);
    expect(replicasOf(list, "admission")).toBe(2);
  });

  it("refuses a bad count with what to pass", () => {
    expect(() => setControllerReplicas(objects(), "0")).toThrow(/--controller-replicas 0: use a whole number ≥ 1/);
    expect(() => setControllerReplicas(objects(), "two")).toThrow(/whole number/);
  });
});
