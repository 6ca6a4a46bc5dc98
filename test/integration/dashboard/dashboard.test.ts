// The chart's Grafana dashboard (issue 19): every metric its queries read is served by a running
// module, and the chart renders the ConfigMap only when asked, with the sidecar's label.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dashboardMetrics, grafanaDashboard } from "../../../src/build/dashboard.ts";
import { parseManifests } from "../../../src/build/deploy/apply.ts";
import { helmChart } from "../../../src/build/helm-chart.ts";
import { moduleManifests } from "../../../src/build/manifests.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { type ModuleRuntime, startModuleRuntime } from "../../../src/runtime/module-runtime.ts";
import { installStoreCrd } from "../../../src/store/install.ts";
import { freePort } from "../../../src/testing/control-plane/ports.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { fullModule, input } from "../../unit/build/fixtures.ts";
import { helmBinary, run } from "../build/module-fixture.ts";

let client: ApiClient;
let namespace: string;
let runtime: ModuleRuntime | undefined;

/** Metric names with a `# TYPE` line, and those with at least one sample, in a Prometheus scrape. */
function scraped(text: string): { typed: Set<string>; sampled: Set<string> } {
  const typed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string));
  const sampled = new Set<string>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line === "") continue;
    const series = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line)?.[1] as string;
    sampled.add(series.replace(/_(bucket|sum|count)$/, ""));
  }
  return { typed, sampled };
}

beforeAll(async () => {
  client = await adminClient();
  await installStoreCrd(client);
  namespace = await freshNamespace(client, "dashboard");
});

afterAll(async () => {
  await runtime?.close();
  await client?.close();
});

describe("the Grafana dashboard", () => {
  it("queries only metrics a running module serves, and traffic gives the controller's their samples", async () => {
    const cap = new Capability({ name: "dash", description: "" });
    cap
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .InNamespace(namespace)
      .Watch(() => undefined);
    const module = new PeprModule({ capstan: { uuid: "dashboard-metrics", onError: "reject" } }, [cap], {
      deferStart: true,
    });
    const port = await freePort();
    runtime = await startModuleRuntime({
      module,
      client,
      role: "controller",
      namespace,
      controller: { leaseName: "dashboard-metrics-leader", healthPort: port, host: "127.0.0.1" },
    });
    await cap.Store.setItemAndWait("probe", "1");
    await client.request({
      method: "POST",
      path: `/api/v1/namespaces/${namespace}/configmaps`,
      body: { metadata: { name: "one" }, data: { a: "b" } },
    });
    const queried = dashboardMetrics(grafanaDashboard("t", "t"));
    expect(queried.length).toBeGreaterThan(15);
    const scrape = async () => scraped(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    await eventually(
      async () => expect((await scrape()).sampled.has("capstan_controller_callbacks_total")).toBe(true),
      {
        timeoutMs: 30_000,
      },
    );
    const { typed, sampled } = await scrape();
    expect(queried.filter((name) => !typed.has(name))).toEqual([]);
    // Gauges and histograms the controller, its store and its leader election feed without an admission request.
    const exercised = queried.filter(
      (name) =>
        /^capstan_(informer|workqueue|controller|store_write|leader|process|nodejs)/.test(name) &&
        !/_total$/.test(name) &&
        name !== "capstan_informer_stalled",
    );
    expect(exercised.length).toBeGreaterThan(6);
    expect(exercised.filter((name) => !sampled.has(name))).toEqual([]);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toMatch(/^capstan_leader_is_leader\{lease="[^"]+\/dashboard-metrics-leader"\} 1$/m);
    expect(text).toMatch(/^capstan_leader_changes_total\{lease="[^"]+\/dashboard-metrics-leader"\} 1$/m);
  });

  it("is a ConfigMap with the sidecar label in the chart only when dashboard.enabled", () => {
    const manifests = moduleManifests(input(fullModule, { namespace: "dash-ns" }));
    const dir = mkdtempSync(join(tmpdir(), "capstan-dashboard-"));
    try {
      const chartDir = join(dir, "chart");
      for (const file of helmChart(manifests, {
        name: "demo",
        version: "0.1.0",
        appVersion: "0.1.0",
        description: "",
      })) {
        mkdirSync(dirname(join(chartDir, file.path)), { recursive: true });
        writeFileSync(join(chartDir, file.path), file.content);
      }
      const template = (...args: string[]) =>
        parseManifests(run(helmBinary(), ["template", "release", chartDir, "--namespace", "dash-ns", ...args], dir));
      const dashboards = (objects: ReturnType<typeof template>) =>
        objects.filter((object) => object.kind === "ConfigMap" && object.metadata.name === "demo-dashboard");
      expect(dashboards(template())).toEqual([]);
      const [configMap] = dashboards(
        template("--set", "dashboard.enabled=true", "--set", "dashboard.annotations.grafana_folder=Platform"),
      );
      expect(configMap?.metadata.labels).toEqual({ grafana_dashboard: "1" });
      expect(configMap?.metadata.annotations).toEqual({ grafana_folder: "Platform" });
      const data = (configMap as unknown as { data: Record<string, string> }).data;
      const dashboard = JSON.parse(data["demo-dashboard.json"] as string) as Record<string, unknown>;
      expect(dashboardMetrics(dashboard)).toEqual(dashboardMetrics(grafanaDashboard("t", "t")));
      expect(dashboard.title).toBe("capstan module demo");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
