import { readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { applyAll, parseManifests } from "../../../src/build/deploy/apply.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import {
  capstanInstalled,
  editPackageJson,
  helmBinary,
  removeScratchModule,
  run,
  type ScratchModule,
  scratchModule,
} from "./module-fixture.ts";

const key = (object: KubeObject) => `${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
const byKey = (objects: readonly KubeObject[]) => new Map(objects.map((object) => [key(object), object]));

/** Every `.Values.a.b` path the templates read. */
function valuePathsRead(chartDir: string): Set<string> {
  const paths = new Set<string>();
  for (const file of readdirSync(join(chartDir, "templates"))) {
    for (const match of readFileSync(join(chartDir, "templates", file), "utf8").matchAll(
      /\.Values\.([A-Za-z0-9_.]+)/g,
    )) {
      paths.add(match[1] as string);
    }
  }
  return paths;
}

/** Every leaf path of values.schema.json. */
function schemaLeaves(schema: { properties?: Record<string, unknown> }, prefix = ""): string[] {
  return Object.entries(schema.properties ?? {}).flatMap(([name, child]) => {
    const node = child as { type?: string; properties?: Record<string, unknown>; additionalProperties?: unknown };
    const path = `${prefix}${name}`;
    return node.type === "object" && node.additionalProperties === false ? schemaLeaves(node, `${path}.`) : [path];
  });
}

describe("capstan init → build → dry-run apply", () => {
  let module: ScratchModule;
  let objects: KubeObject[];

  let helm: string;

  beforeAll(async () => {
    // Built once from the Go module proxy (a few minutes the first time), then cached.
    helm = helmBinary();
    module = await scratchModule("e2e", { description: "e2e" });
    objects = module.objects;
  }, 600_000);

  afterAll(() => removeScratchModule(module));

  it("writes the objects the sample capability needs, and only those", () => {
    expect(module.buildOutput).toBe("");
    const kinds = objects.map((object) => object.kind);
    expect(kinds).toEqual([
      "Namespace",
      "ServiceAccount",
      "ClusterRole",
      "ClusterRoleBinding",
      "Role",
      "RoleBinding",
      "Secret",
      "Secret",
      "Service",
      "Deployment",
      "PodDisruptionBudget",
      "Service",
      "Deployment",
      "MutatingWebhookConfiguration",
      "ValidatingWebhookConfiguration",
    ]);
    for (const object of objects)
      if (object.kind !== "Namespace" && object.metadata.namespace)
        expect(object.metadata.namespace).toBe(module.namespace);
  });

  it("the scaffolded module's own tests pass (capstan/testing, no cluster)", () => {
    const vitest = join(module.moduleDir, "node_modules", "vitest", "vitest.mjs");
    const output = run(process.execPath, [vitest, "run", "--root", module.moduleDir], module.moduleDir);
    expect(output).toMatch(/5 passed/);
    const scenarios = capstanInstalled(module.moduleDir, ["test"]);
    expect(scenarios).toContain("3 scenarios: 3 passed, 0 failed");
  });

  it("every generated object passes a server-side dry-run apply on the real control plane", async () => {
    const validated: string[] = [];
    await applyAll(module.client, objects, { dryRun: true, onApplied: (object) => validated.push(key(object)) });
    expect(validated).toHaveLength(objects.length);
  });

  it("capstan deploy --dry-run validates the same objects through the CLI", () => {
    const output = capstanInstalled(module.moduleDir, ["deploy", "--dry-run", "--kubeconfig", inject("kubeconfig")]);
    expect(output).toBe("");
  });

  it("the Helm chart renders to the same objects as the static YAML, and its schema matches what it reads", () => {
    const chartDir = join(module.moduleDir, "dist", `${module.uuid}-chart`);
    const { moduleDir } = module;
    const rendered = parseManifests(run(helm, ["template", "release", chartDir], moduleDir));
    const expected = byKey(objects);
    expect([...byKey(rendered).keys()].sort()).toEqual([...expected.keys()].sort());
    for (const object of rendered) expect(object).toEqual(expected.get(key(object)));

    const schema = JSON.parse(readFileSync(join(chartDir, "values.schema.json"), "utf8"));
    expect([...valuePathsRead(chartDir)].sort()).toEqual(schemaLeaves(schema).sort());

    const overridden = parseManifests(
      run(
        helm,
        ["template", "release", chartDir, "--set", "admission.replicas=3", "--set", "controller.nodeSelector.disk=ssd"],
        moduleDir,
      ),
    );
    const deployments = overridden.filter((object) => object.kind === "Deployment") as unknown as {
      spec: { replicas: number; template: { spec: { nodeSelector: object } } };
    }[];
    expect(deployments.map((deployment) => deployment.spec.replicas)).toEqual([3, 2]);
    expect(deployments[1]?.spec.template.spec.nodeSelector).toEqual({ disk: "ssd" });
    expect(() => run(helm, ["template", "release", chartDir, "--set", "admission.replica=3"], moduleDir)).toThrow(
      /additional properties|admission/i,
    );
    expect(() => run(helm, ["template", "release", chartDir, "--set", "admission.replicas=many"], moduleDir)).toThrow(
      /integer|replicas/i,
    );
  });

  // These two edit the module, so they run last.
  it('builds a Pepr-style module (pepr.ts entry, "pepr" key, imports from "pepr") into the same objects, with Pepr\'s names', () => {
    const { moduleDir } = module;
    renameSync(join(moduleDir, "capstan.ts"), join(moduleDir, "pepr.ts"));
    for (const file of ["pepr.ts", "capabilities/hello-capstan.ts"]) {
      const path = join(moduleDir, file);
      writeFileSync(path, readFileSync(path, "utf8").replaceAll('from "capstan"', 'from "pepr"'));
    }
    editPackageJson(moduleDir, (pkg) => {
      pkg.pepr = pkg.capstan;
      delete pkg.capstan;
    });
    capstanInstalled(moduleDir, ["build", "--no-typecheck"]);
    const rebuilt = parseManifests(readFileSync(join(moduleDir, "dist", `pepr-module-${module.uuid}.yaml`), "utf8"));
    // The "pepr" key selects Pepr 1.1.4's names (pepr-system, pepr-<uuid>, -watcher, -store); the
    // objects and what they grant are the same. Only the source map differs (it names pepr.ts).
    const uuid = module.uuid;
    const peprName = (name: string) =>
      name
        .replace("/capstan-system/", "/pepr-system/")
        .replace(/^Namespace\/\/capstan-system$/, "Namespace//pepr-system")
        .replace(`capstan-${uuid}-admission`, `pepr-${uuid}`)
        .replace(`capstan-${uuid}-controller`, `pepr-${uuid}-watcher`)
        .replace(/^(Role|RoleBinding)(\/.*)capstan-(.*)$/, "$1$2pepr-$3-store")
        .replace(`capstan-${uuid}`, `pepr-${uuid}`);
    expect(rebuilt.map(key)).toEqual(
      objects.map(key).map((name) => (name.includes("-module-") ? expect.any(String) : peprName(name))),
    );
    const rules = (list: KubeObject[]) =>
      list
        .filter((object) => /Role$/.test(object.kind))
        .map((object) => ({ kind: object.kind, rules: (object as { rules?: unknown[] }).rules ?? [] }));
    const renamed = JSON.parse(JSON.stringify(rules(objects)).replaceAll(`capstan-${uuid}`, `pepr-${uuid}`)) as {
      kind: string;
      rules: unknown[];
    }[];
    // A Pepr module's namespace Role also reads Pepr's own PeprStore (the one-time import of a Pepr install's state).
    const peprStoreRead = { apiGroups: ["pepr.dev"], resources: ["peprstores"], verbs: ["get"] };
    expect(rules(rebuilt)).toEqual(
      renamed.map((role) => (role.kind === "Role" ? { ...role, rules: [...role.rules, peprStoreRead] } : role)),
    );
    const webhookRules = (list: KubeObject[]) =>
      list
        .filter((object) => object.kind.endsWith("WebhookConfiguration"))
        .map((object) =>
          (object as unknown as { webhooks: { rules: unknown }[] }).webhooks.map((webhook) => webhook.rules),
        );
    expect(webhookRules(rebuilt)).toEqual(webhookRules(objects));
  });

  it("a module that throws at load time, or constructs no module, fails the build saying so", () => {
    writeFileSync(join(module.moduleDir, "pepr.ts"), 'throw new Error("boom at load time");\n');
    expect(() => capstanInstalled(module.moduleDir, ["build", "--no-typecheck"])).toThrow(
      /Loading the module failed: .*boom at load time/,
    );
    writeFileSync(join(module.moduleDir, "pepr.ts"), "export const nothing = 1;\n");
    expect(() => capstanInstalled(module.moduleDir, ["build", "--no-typecheck"])).toThrow(
      /exactly one PeprModule .* constructed 0/,
    );
  });
});
