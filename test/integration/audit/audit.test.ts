// The background audit on the real control plane (issue 16): 2,000 existing objects of 3 kinds in
// 20 namespaces, a module with 3 Validate bindings in audit mode; one OpenReports report per object,
// checked against the test's own judgement of every object the API server lists.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runPreview } from "../../../src/audit/preview.ts";
import { AuditRunner } from "../../../src/audit/runner.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ApiError, InvalidError, NotFoundError } from "../../../src/k8s/errors.ts";
import * as a from "../../../src/k8s/models.ts";
import { auditSettings } from "../../../src/model/audit-config.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { type ModuleRuntime, startModuleRuntime } from "../../../src/runtime/module-runtime.ts";
import { installStoreCrd } from "../../../src/store/install.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

const NAMESPACES = 20;
const OBJECTS = 2_000;
const REPORTS = "/apis/openreports.io/v1alpha1";
const OPENREPORTS_VERSION = "v0.2.1";
const PUBLISHED_GROUP = "published.openreports.test";

interface Item {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string> };
}
interface ReportResult {
  policy: string;
  rule: string;
  result: string;
  message: string;
  properties: Record<string, string>;
}
interface Report {
  metadata: {
    name: string;
    namespace: string;
    resourceVersion: string;
    ownerReferences: { uid: string; kind: string }[];
  };
  scope: { kind: string; name: string; namespace: string; uid: string };
  results: ReportResult[];
  summary: Record<string, number>;
}

let client: ApiClient;
let runtime: ModuleRuntime | undefined;
let module: PeprModule | undefined;
const namespaces: string[] = [];
const uuid = `audit${Date.now().toString(36)}`;

function rules(): Capability {
  const cap = new Capability({ name: "hygiene", description: "rules being rolled out", namespaces });
  cap
    .When(a.ConfigMap)
    .IsCreatedOrUpdated()
    .Alias("cm-team")
    .Validate((req) => (req.Raw.metadata?.labels?.team ? req.Approve() : req.Deny("ConfigMaps need a team label")));
  cap
    .When(a.Secret)
    .IsCreatedOrUpdated()
    .Alias("secret-owner")
    .Validate((req) => (req.Raw.metadata?.labels?.owner ? req.Approve() : req.Deny("Secrets need an owner label")));
  cap
    .When(a.ServiceAccount)
    .IsCreated()
    .Alias("sa-name")
    .Validate((req) =>
      req.Raw.metadata?.name?.startsWith("bad-")
        ? req.Deny(`bad- names are retired: ${req.Raw.metadata.name}`)
        : req.Approve(),
    );
  return cap;
}

/** The test's own judgement: [rule, result, message] for an object of a kind. */
function expected(kind: string, item: Item): [string, string, string] {
  const labels = item.metadata.labels ?? {};
  if (kind === "ConfigMap")
    return labels.team ? ["cm-team", "pass", ""] : ["cm-team", "fail", "ConfigMaps need a team label"];
  if (kind === "Secret")
    return labels.owner ? ["secret-owner", "pass", ""] : ["secret-owner", "fail", "Secrets need an owner label"];
  return item.metadata.name.startsWith("bad-")
    ? ["sa-name", "fail", `bad- names are retired: ${item.metadata.name}`]
    : ["sa-name", "pass", ""];
}

const collections = { ConfigMap: "configmaps", Secret: "secrets", ServiceAccount: "serviceaccounts" } as const;
type KindName = keyof typeof collections;

async function inParallel<T>(items: readonly T[], limit: number, run: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await run(items[next++] as T);
    }),
  );
}

async function listAll(kind: KindName): Promise<Item[]> {
  const lists = await Promise.all(
    namespaces.map((ns) =>
      client.request<{ items: Item[] }>({ path: `/api/v1/namespaces/${ns}/${collections[kind]}` }),
    ),
  );
  return lists.flatMap((list) => list.items);
}

async function reports(): Promise<Report[]> {
  const lists = await Promise.all(
    namespaces.map((ns) =>
      client.request<{ items: Report[] }>({
        path: `${REPORTS}/namespaces/${ns}/reports`,
        query: { labelSelector: `capstan.dev/uuid=${uuid}` },
      }),
    ),
  );
  return lists.flatMap((list) => list.items);
}

beforeAll(async () => {
  client = await adminClient();
  for (let i = 0; i < NAMESPACES; i++) namespaces.push(await freshNamespace(client, `audit-${i}`));
  const creates: [KindName, string, Record<string, unknown>][] = [];
  for (let i = 0; i < OBJECTS; i++) {
    const ns = namespaces[i % NAMESPACES] as string;
    const kind = (["ConfigMap", "Secret", "ServiceAccount"] as const)[i % 3] as KindName;
    const labels: Record<string, string> = {};
    if (kind === "ConfigMap" && i % 4 !== 0) labels.team = "a";
    if (kind === "Secret" && i % 5 !== 0) labels.owner = "b";
    const name = kind === "ServiceAccount" && i % 7 === 0 ? `bad-${i}` : `obj-${i}`;
    creates.push([kind, ns, { metadata: { name, labels } }]);
  }
  await inParallel(creates, 16, ([kind, ns, body]) =>
    client.request({ method: "POST", path: `/api/v1/namespaces/${ns}/${collections[kind]}`, body }),
  );
  await installStoreCrd(client);
  module = new PeprModule(
    { capstan: { uuid, onError: "reject", enforcement: { default: "audit" }, audit: true } },
    [rules()],
    { deferStart: true },
  );
  runtime = await startModuleRuntime({ module, client, role: "controller", namespace: namespaces[0] as string });
}, 240_000);

afterAll(async () => {
  await runtime?.close();
  await Promise.all(
    namespaces.map((ns) => client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` }).catch(() => {})),
  );
  await client.close();
});

describe("background audit into OpenReports reports", () => {
  it("writes one report per object with exactly the expected results and messages", { timeout: 180_000 }, async () => {
    const objects = new Map<string, [KindName, Item]>();
    for (const kind of Object.keys(collections) as KindName[]) {
      for (const item of await listAll(kind)) objects.set(item.metadata.uid, [kind, item]);
    }
    expect(objects.size).toBeGreaterThanOrEqual(OBJECTS);
    const all = await eventually(
      async () => {
        const found = await reports();
        return found.length === objects.size ? found : undefined;
      },
      { timeoutMs: 120_000, what: `${objects.size} reports` },
    );
    const counts = { pass: 0, fail: 0 };
    const mismatches: string[] = [];
    for (const report of all) {
      const entry = objects.get(report.scope.uid);
      if (!entry) {
        mismatches.push(`report for unknown object ${report.scope.uid}`);
        continue;
      }
      const [kind, item] = entry;
      const [rule, result, message] = expected(kind, item);
      const got = report.results.map((r) => [r.rule, r.result, r.message]);
      if (JSON.stringify(got) !== JSON.stringify([[rule, result, message]])) {
        mismatches.push(`${kind} ${item.metadata.name}: ${JSON.stringify(got)}`);
      }
      counts[result as "pass" | "fail"]++;
      expect(report.metadata.name).toBe(item.metadata.uid);
      expect(report.metadata.ownerReferences).toEqual([expect.objectContaining({ uid: item.metadata.uid, kind })]);
      expect(report.results[0]?.properties.enforcement).toBe("audit");
      expect(report.results[0]?.policy).toBe("hygiene");
    }
    expect(mismatches).toEqual([]);
    const judged = [...objects.values()].map(([kind, item]) => expected(kind, item)[1]);
    expect(counts).toEqual({
      pass: judged.filter((r) => r === "pass").length,
      fail: judged.filter((r) => r === "fail").length,
    });
    expect(counts.fail).toBeGreaterThan(300);
    const largest = Math.max(...all.map((report) => Buffer.byteLength(JSON.stringify(report))));
    expect(largest).toBeLessThan(1024 * 1024);
  });

  it("capstan preview counts what the audit reports, rule by rule", { timeout: 120_000 }, async () => {
    if (!module) throw new Error("no module");
    const preview = await runPreview(module, { client, namespaces });
    const fromPreview = new Map<string, { fail: number; pass: number }>();
    for (const row of preview.rows) {
      const sum = fromPreview.get(row.rule) ?? { fail: 0, pass: 0 };
      sum.fail += row.deny;
      sum.pass += row.evaluated - row.deny - row.warn - row.error;
      fromPreview.set(row.rule, sum);
    }
    const fromReports = new Map<string, { fail: number; pass: number }>();
    for (const report of await reports()) {
      for (const result of report.results) {
        const sum = fromReports.get(result.rule) ?? { fail: 0, pass: 0 };
        sum[result.result as "fail" | "pass"]++;
        fromReports.set(result.rule, sum);
      }
    }
    const sorted = (map: Map<string, unknown>) => [...map].sort(([x], [y]) => x.localeCompare(y));
    expect(sorted(fromPreview)).toEqual(sorted(fromReports));
    expect(fromReports.size).toBe(3);
  });

  it("a changed object's result flips in under 2 s; a deleted object's report goes", { timeout: 90_000 }, async () => {
    const ns = namespaces[1] as string;
    const failing = (await listAll("ConfigMap")).find(
      (item) => item.metadata.namespace === ns && !item.metadata.labels?.team,
    ) as Item;
    const path = `/api/v1/namespaces/${ns}/configmaps/${failing.metadata.name}`;
    const reportPath = `${REPORTS}/namespaces/${ns}/reports/${failing.metadata.uid}`;
    const started = performance.now();
    await client.request({
      method: "PATCH",
      path,
      contentType: "application/merge-patch+json",
      body: { metadata: { labels: { team: "now" } } },
    });
    await eventually(
      async () =>
        (await client.request<Report>({ path: reportPath })).results[0]?.result === "pass" ? true : undefined,
      { timeoutMs: 10_000, intervalMs: 20, what: "the result to flip to pass" },
    );
    const flipMs = performance.now() - started;
    console.info(`audit: result flipped ${Math.round(flipMs)} ms after the change`);
    expect(flipMs).toBeLessThan(2_000);

    await client.request({ method: "DELETE", path });
    await eventually(
      async () =>
        client.request({ path: reportPath }).then(
          () => undefined,
          (error: unknown) => (error instanceof NotFoundError ? true : undefined),
        ),
      { timeoutMs: 60_000, what: "the deleted object's report to go" },
    );
  });

  it("deleting a namespace removes its reports", { timeout: 120_000 }, async () => {
    const ns = namespaces[2] as string;
    const path = `${REPORTS}/namespaces/${ns}/reports`;
    expect((await client.request<{ items: unknown[] }>({ path })).items.length).toBeGreaterThan(50);
    await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` });
    await eventually(
      async () =>
        client.request<{ items: unknown[] }>({ path }).then(
          (list) => (list.items.length === 0 ? true : undefined),
          () => true,
        ),
      { timeoutMs: 110_000, what: `the reports of namespace ${ns} to go` },
    );
  });

  it("the reports fit the published OpenReports CRD (v0.2.1, from the Go module proxy): a copy is accepted by a server-side dry run, a malformed one refused", {
    timeout: 120_000,
  }, async () => {
    // The published CRD under another group name (its schema untouched), beside the one capstan installed.
    const download = JSON.parse(
      execFileSync("go", ["mod", "download", "-json", `github.com/openreports/reports-api@${OPENREPORTS_VERSION}`], {
        cwd: tmpdir(),
        encoding: "utf8",
        env: { ...process.env, GOFLAGS: "-mod=mod" },
      }),
    ) as { Dir: string };
    const published = parse(
      readFileSync(join(download.Dir, "config", "crd", "openreports.io_reports.yaml"), "utf8"),
    ) as {
      metadata: { name: string };
      spec: { group: string };
    };
    published.spec.group = PUBLISHED_GROUP;
    published.metadata.name = `reports.${PUBLISHED_GROUP}`;
    const crdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
    await client.request({ method: "POST", path: crdPath, body: published }).catch((error: unknown) => {
      if (!(error instanceof ApiError && error.status === 409)) throw error;
    });
    try {
      const [report] = await reports();
      if (!report) throw new Error("no report");
      const ns = report.metadata.namespace;
      const copy = {
        apiVersion: `${PUBLISHED_GROUP}/v1alpha1`,
        kind: "Report",
        metadata: { name: `copy-${report.metadata.name}`, namespace: ns },
        source: "capstan",
        scope: report.scope,
        results: report.results,
        summary: report.summary,
      };
      const create = (body: unknown) =>
        client.request({
          method: "POST",
          path: `/apis/${PUBLISHED_GROUP}/v1alpha1/namespaces/${ns}/reports`,
          query: { dryRun: "All" },
          body,
        });
      await eventually(() => create(copy).then(() => true), { timeoutMs: 30_000, what: "the published CRD to serve" });
      await expect(create(copy)).resolves.toMatchObject({ kind: "Report" });
      await expect(create({ ...copy, results: [{ ...report.results[0], result: "maybe" }] })).rejects.toBeInstanceOf(
        InvalidError,
      );
    } finally {
      await client.request({ method: "DELETE", path: `${crdPath}/reports.${PUBLISHED_GROUP}` }).catch(() => {});
    }
  });

  it("a restart rewrites no unchanged report and removes those of a rule no longer audited", {
    timeout: 120_000,
  }, async () => {
    const before = new Map((await reports()).map((r) => [r.metadata.name, r.metadata.resourceVersion]));
    expect([...before.values()].length).toBeGreaterThan(1_000);
    const restart = async (config: Record<string, unknown>) => {
      const again = new PeprModule({ capstan: { uuid, onError: "reject", ...config } }, [rules()], {
        deferStart: true,
      });
      const runner = new AuditRunner({ client, module: again, settings: auditSettings(again.config) });
      try {
        await runner.start();
      } finally {
        await runner.close();
      }
    };
    await restart({ audit: true });
    const after = await reports();
    const rewritten = after.filter((r) => before.get(r.metadata.name) !== r.metadata.resourceVersion);
    expect(rewritten.map((r) => r.scope.name)).toEqual([]);
    expect(after.length).toBe(before.size);

    await restart({ audit: { bindings: ["cm-team", "sa-name"] } });
    const kept = await reports();
    expect(kept.filter((r) => r.scope.kind === "Secret")).toEqual([]);
    expect(kept.length).toBe(after.filter((r) => r.scope.kind !== "Secret").length);
  });
});
