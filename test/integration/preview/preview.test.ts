import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type PreviewReport, runPreview } from "../../../src/audit/index.ts";
import { K8s, setDefaultClient } from "../../../src/fluent/index.ts";
import { ApiClient } from "../../../src/k8s/api-client.ts";
import { NotFoundError } from "../../../src/k8s/errors.ts";
import { GenericKind, RegisterKind } from "../../../src/k8s/index.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";
import { packCapstan } from "../build/module-fixture.ts";
import { writeModule } from "../cli/dev-fixture.ts";

// Issue 16 item 4: `capstan preview` over 10,000 existing ConfigMaps in 20 namespaces, on the real
// control plane. Counts are checked against an independent computation from how the objects were
// made; a Validate calling K8s().Apply writes nothing. The bindings select the label "set=preview" only,
// so the kube-root-ca.crt ConfigMap of each namespace (made by the controller manager) is not counted.

const NAMESPACES = 20;
const PER_NAMESPACE = 500;

let client: ApiClient;
let namespaces: string[] = [];

/** How object `i` of a namespace is made; the expected counts below follow from it alone. */
const hasOwner = (i: number) => i % 7 !== 0;
const isLegacy = (i: number) => i % 11 === 0;
const hasTeam = (i: number) => i % 5 !== 0;
const SIDE_EFFECT = "cm-0";

function configMap(namespace: string, i: number) {
  const name = `cm-${i}`;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      namespace,
      labels: {
        set: "preview",
        ...(hasOwner(i) ? { owner: `o${i}` } : {}),
        ...(hasTeam(i) ? { team: "t" } : {}),
        ...(name === SIDE_EFFECT && namespace === namespaces[0] ? { "side-effect": "yes" } : {}),
      },
    },
    data: { index: String(i), ...(isLegacy(i) ? { legacy: "yes" } : {}) },
  };
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** The module, as TypeScript source for the CLI; `inProcess` below builds the same bindings. */
function moduleSource(): string {
  return `
import { Capability, K8s, PeprModule, a } from "capstan";
import pkg from "./package.json" with { type: "json" };
const policy = new Capability({ name: "policy", description: "preview test", namespaces: ${JSON.stringify(namespaces)} });
policy.When(a.ConfigMap).IsCreatedOrUpdated().WithLabel("set", "preview").Alias("needs-owner")
  .Validate((req) => req.Raw.metadata?.labels?.owner ? req.Approve() : req.Deny(\`ConfigMap \${req.Raw.metadata?.name} has no owner label\`));
policy.When(a.ConfigMap).IsCreatedOrUpdated().WithLabel("set", "preview").Alias("legacy-warning")
  .Validate((req) => req.Approve(req.Raw.data?.legacy ? ["the legacy key is deprecated"] : undefined));
policy.When(a.ConfigMap).IsCreatedOrUpdated().WithLabel("set", "preview").Alias("team-label")
  .Mutate((req) => { if (!req.Raw.metadata?.labels?.team) req.SetLabel("team", "default"); });
policy.When(a.ConfigMap).IsCreatedOrUpdated().WithLabel("side-effect", "yes").Alias("writes")
  .Validate(async (req) => {
    const namespace = req.Raw.metadata?.namespace;
    await K8s(a.ConfigMap).Apply({ metadata: { name: "preview-wrote-this", namespace }, data: { a: "1" } });
    await K8s(a.ConfigMap).Apply({ metadata: { name: req.Raw.metadata?.name, namespace, labels: { changed: "yes" } } }, { force: true });
    return req.Approve();
  });
new PeprModule(pkg, [policy]);
`;
}

function inProcessModule(): PeprModule {
  const policy = new Capability({ name: "policy", description: "preview test", namespaces });
  policy
    .When(a.ConfigMap)
    .IsCreatedOrUpdated()
    .WithLabel("set", "preview")
    .Alias("needs-owner")
    .Validate((req) =>
      req.Raw.metadata?.labels?.owner
        ? req.Approve()
        : req.Deny(`ConfigMap ${req.Raw.metadata?.name} has no owner label`),
    );
  policy
    .When(a.ConfigMap)
    .IsCreatedOrUpdated()
    .WithLabel("set", "preview")
    .Alias("legacy-warning")
    .Validate((req) => req.Approve(req.Raw.data?.legacy ? ["the legacy key is deprecated"] : undefined));
  policy
    .When(a.ConfigMap)
    .IsCreatedOrUpdated()
    .WithLabel("set", "preview")
    .Alias("team-label")
    .Mutate((req) => {
      if (!req.Raw.metadata?.labels?.team) req.SetLabel("team", "default");
    });
  policy
    .When(a.ConfigMap)
    .IsCreatedOrUpdated()
    .WithLabel("side-effect", "yes")
    .Alias("writes")
    .Validate(async (req) => {
      const namespace = req.Raw.metadata?.namespace;
      await K8s(a.ConfigMap).Apply({ metadata: { name: "preview-wrote-this", namespace }, data: { a: "1" } });
      await K8s(a.ConfigMap).Apply(
        { metadata: { name: req.Raw.metadata?.name, namespace, labels: { changed: "yes" } } },
        { force: true },
      );
      return req.Approve();
    });
  return new PeprModule({ capstan: { uuid: "preview-test", onError: "reject" } }, [policy], { deferStart: true });
}

interface Expected {
  readonly rule: string;
  readonly evaluated: number;
  readonly deny: number;
  readonly warn: number;
  readonly mutate: number;
}

/** Per rule, from `configMap` alone. */
function expectedCounts(): Expected[] {
  const count = (test: (i: number) => boolean) => {
    let n = 0;
    for (let i = 0; i < PER_NAMESPACE; i++) if (test(i)) n++;
    return n * NAMESPACES;
  };
  const all = NAMESPACES * PER_NAMESPACE;
  return [
    { rule: "legacy-warning", evaluated: all, deny: 0, warn: count(isLegacy), mutate: 0 },
    { rule: "needs-owner", evaluated: all, deny: count((i) => !hasOwner(i)), warn: 0, mutate: 0 },
    { rule: "team-label", evaluated: all, deny: 0, warn: 0, mutate: count((i) => !hasTeam(i)) },
    { rule: "writes", evaluated: 1, deny: 0, warn: 0, mutate: 0 },
  ];
}

/** The report's rows summed per rule, over the test's namespaces only (other tests share the cluster). */
function countsByRule(report: Pick<PreviewReport, "rows">): Expected[] {
  const byRule = new Map<string, { rule: string; evaluated: number; deny: number; warn: number; mutate: number }>();
  for (const row of report.rows) {
    if (!namespaces.includes(row.namespace)) continue;
    const sum = byRule.get(row.rule) ?? { rule: row.rule, evaluated: 0, deny: 0, warn: 0, mutate: 0 };
    sum.evaluated += row.evaluated;
    sum.deny += row.deny;
    sum.warn += row.warn;
    sum.mutate += row.mutate;
    byRule.set(row.rule, sum);
  }
  return [...byRule.values()].sort((x, y) => x.rule.localeCompare(y.rule));
}

async function sideEffectState(): Promise<{ wrote: boolean; labels: Record<string, string> | undefined; rv: string }> {
  const ns = namespaces[0] as string;
  let wrote = true;
  await client.request({ path: `/api/v1/namespaces/${ns}/configmaps/preview-wrote-this` }).catch((error: unknown) => {
    if (!(error instanceof NotFoundError)) throw error;
    wrote = false;
  });
  const object = await client.request<{ metadata: { labels?: Record<string, string>; resourceVersion: string } }>({
    path: `/api/v1/namespaces/${ns}/configmaps/${SIDE_EFFECT}`,
  });
  return { wrote, labels: object.metadata.labels, rv: object.metadata.resourceVersion };
}

beforeAll(async () => {
  client = await adminClient();
  for (let n = 0; n < NAMESPACES; n++) namespaces.push(await freshNamespace(client, `preview${n}`));
  const work = namespaces.flatMap((namespace) => Array.from({ length: PER_NAMESPACE }, (_, i) => ({ namespace, i })));
  await inParallel(work, 48, async ({ namespace, i }) => {
    await client.request({
      method: "POST",
      path: `/api/v1/namespaces/${namespace}/configmaps`,
      body: configMap(namespace, i),
    });
  });
}, 600_000);

afterAll(async () => {
  setDefaultClient(undefined);
  for (const ns of namespaces) await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` });
  namespaces = [];
  await client.close();
});

describe("capstan preview", () => {
  it("counts what 10,000 existing objects would meet exactly as computed independently, and a Validate's K8s().Apply writes nothing", async () => {
    setDefaultClient(client);
    const before = await sideEffectState();
    const report = await runPreview(inProcessModule(), { client });
    expect(countsByRule(report)).toEqual(expectedCounts());
    const denied = report.findings.filter((f) => f.rule === "needs-owner" && f.namespace === namespaces[3]);
    expect(denied.map((f) => f.message)).toContain("ConfigMap cm-7 has no owner label");
    const mutated = report.findings.find((f) => f.rule === "team-label" && f.name === "cm-5");
    expect(mutated?.patch).toEqual([{ op: "add", path: "/metadata/labels/team", value: "default" }]);
    const writes = report.findings.filter((f) => f.rule === "writes");
    expect(writes).toEqual([]);
    expect(report.rows.find((row) => row.rule === "writes")?.dryRunWrites).toBe(1);

    const after = await sideEffectState();
    expect(before.wrote).toBe(false);
    expect(after).toEqual(before);
    expect(after.labels?.changed).toBeUndefined();
  });

  it("names a kind the cluster does not serve instead of failing, and a refused LIST names the right it needs", async () => {
    class Gadget extends GenericKind {}
    RegisterKind(Gadget, { group: "preview.example.dev", version: "v1", kind: "Gadget", plural: "gadgets" });
    const policy = new Capability({ name: "gadgets", description: "preview test" });
    policy
      .When(Gadget)
      .IsCreatedOrUpdated()
      .Validate((req) => req.Deny("no gadgets"));
    const module = new PeprModule({ capstan: { uuid: "preview-gadgets", onError: "reject" } }, [policy], {
      deferStart: true,
    });
    const report = await runPreview(module, { client });
    expect(report.unserved).toEqual(["Gadget (preview.example.dev/v1)"]);
    expect(report.totals.evaluated).toBe(0);

    // A user who may not list ConfigMaps cluster-wide.
    const nobody = await ApiClient.fromKubeconfig({
      kubeconfig: inject("kubeconfig"),
      impersonate: { user: "preview-nobody" },
    });
    try {
      await expect(runPreview(inProcessModule(), { client: nobody })).rejects.toThrow(
        /cannot list configmaps \(ConfigMap, group core\) at \/api\/v1\/configmaps: Forbidden\. The preview needs "list"/,
      );
    } finally {
      await nobody.close();
    }
  });

  it("from the CLI: JSON counts equal the independent ones in under 60 s, exit status 3, markdown and bad flags", async () => {
    const work = mkdtempSync(join(tmpdir(), "capstan-preview-"));
    const tarball = packCapstan(work);
    const moduleDir = writeModule(work, tarball, "preview-mod", { uuid: "preview-cli" }, moduleSource());
    const capstan = (args: readonly string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve) => {
        const started = performance.now();
        const proc = spawn(process.execPath, [join(moduleDir, "node_modules/capstan/bin/capstan.js"), ...args], {
          cwd: moduleDir,
          env: { ...process.env, KUBECONFIG: inject("kubeconfig") },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        proc.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        proc.once("close", (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
      });

    const before = await sideEffectState();
    const json = await capstan(["preview", "--output", "json"]);
    expect(json.stderr).not.toMatch(/Error|at \//);
    expect(json.code).toBe(3);
    const report = JSON.parse(json.stdout) as PreviewReport;
    expect(countsByRule(report)).toEqual(expectedCounts());
    expect(report.objects).toBeGreaterThanOrEqual(NAMESPACES * PER_NAMESPACE);
    console.log(
      `capstan preview --output json over ${report.objects} ConfigMaps: ${Math.round(json.ms)} ms wall (evaluation ${Math.round(report.ms)} ms)`,
    );
    expect(json.ms).toBeLessThan(60_000);
    expect(await sideEffectState()).toEqual(before);

    const markdown = await capstan(["preview", "--output", "markdown", "--namespace", namespaces[1] as string]);
    expect(markdown.code).toBe(3);
    expect(markdown.stdout).toContain("| BINDING | KIND | NAMESPACE | SELECTED | DENY | WARN | MUTATE | ERROR |");
    expect(markdown.stdout).toContain(`| needs-owner | ConfigMap | ${namespaces[1]} | 500 | 72 | 0 | 0 | 0 |`);
    expect(markdown.stdout).toContain("`ConfigMap");
    expect(markdown.stdout).toMatch(/and 62 more/);

    const bad = await capstan(["preview", "--output", "xml"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/xml.*(table, json, markdown|choices)/is);
    const badPage = await capstan(["preview", "--page-size", "0"]);
    expect(badPage.code).not.toBe(0);
    expect(badPage.stderr).toContain("is not a page size");
  }, 300_000);
});
