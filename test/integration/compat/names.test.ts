import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { fieldManager, K8s, setDefaultClient, setFieldManager } from "../../../src/fluent/index.ts";
import { ConflictError, NotFoundError } from "../../../src/k8s/errors.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { Log } from "../../../src/telemetry/logger.ts";
import {
  eventually,
  type RunningModule,
  runModule,
  startTestCluster,
  type TestCluster,
} from "../../../src/testing/index.ts";

// A Pepr-mode module (package.json `pepr` key) on the real API server observes Pepr 1.1.4's names:
// `<uuid>.pepr.dev/<capability>` status annotations, `pepr.dev/finalizer` (including on objects Pepr
// itself left behind) with Pepr's debug line on removal, and `K8s().Apply` as field manager `pepr`.

interface StoredConfigMap {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
    managedFields?: { manager: string }[];
  };
  data?: Record<string, string>;
}

const uuid = `names-${randomBytes(3).toString("hex")}`;
const finalized: string[] = [];
const logLines: Record<string, unknown>[] = [];
const streamSym = pino.symbols.streamSym as unknown as "stream";
const logStream = (Log as unknown as Record<typeof streamSym, unknown>)[streamSym];
const logLevel = Log.level;

let cluster: TestCluster;
let running: RunningModule | undefined;
let namespace: string;
let storeNamespace: string;
const configMaps = () => `/api/v1/namespaces/${namespace}/configmaps`;

function peprModule(): PeprModule {
  const capability = new Capability({ name: "names", description: "Pepr's names" });
  capability
    .When(ConfigMap)
    .IsCreated()
    .WithLabel("mutate")
    .Mutate((request) => void request.SetLabel("mutated", "yes"));
  capability
    .When(ConfigMap)
    .IsUpdated()
    .WithLabel("finalize")
    .Watch(() => {})
    .Finalize((object) => {
      finalized.push(object.metadata?.name ?? "");
    });
  return new PeprModule({ pepr: { uuid, onError: "reject" } }, [capability], { deferStart: true });
}

beforeAll(async () => {
  // Pepr writes its finalizer lines at debug level; capture the process log while this file runs.
  Log.level = "debug";
  (Log as unknown as Record<typeof streamSym, unknown>)[streamSym] = {
    write(line: string) {
      logLines.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
  cluster = await startTestCluster({ kubeconfig: inject("kubeconfig") });
  namespace = await cluster.namespace("pepr-names");
  storeNamespace = await cluster.namespace("pepr-names-store");
  setDefaultClient(cluster.client);
}, 120_000);

afterAll(async () => {
  await running?.stop();
  setDefaultClient(undefined);
  setFieldManager("capstan");
  await cluster?.stop();
  (Log as unknown as Record<typeof streamSym, unknown>)[streamSym] = logStream;
  Log.level = logLevel;
});

describe("a Pepr-mode module on the API server", () => {
  it("finalizes an object Pepr left with pepr.dev/finalizer, logging Pepr's line, so its delete completes", async () => {
    // As Pepr 1.1.4 leaves it: carrying Pepr's finalizer, deleted while no module ran.
    await cluster.client.request({
      method: "POST",
      path: configMaps(),
      body: { metadata: { name: "left-by-pepr", labels: { finalize: "yes" }, finalizers: ["pepr.dev/finalizer"] } },
    });
    await cluster.client.request({ method: "DELETE", path: `${configMaps()}/left-by-pepr` });
    const stuck = await cluster.client.request<StoredConfigMap>({ path: `${configMaps()}/left-by-pepr` });
    expect(stuck.metadata.deletionTimestamp).toBeDefined();

    running = await runModule(cluster, peprModule(), { namespace: storeNamespace });
    expect(fieldManager).toBe("pepr");

    await eventually(
      () =>
        cluster.client.request({ path: `${configMaps()}/left-by-pepr` }).then(
          () => undefined,
          (error: unknown) => (error instanceof NotFoundError ? true : Promise.reject(error)),
        ),
      { what: "the ConfigMap Pepr left to be finalized and deleted" },
    );
    expect(finalized).toEqual(["left-by-pepr"]);
    const line = logLines.find(
      (entry) => entry.msg === `Removed finalizer 'pepr.dev/finalizer' from '${namespace}/left-by-pepr'`,
    );
    expect(line?.level).toBe(20);
  });

  it("leaves <uuid>.pepr.dev/<capability>: succeeded on a mutated object", async () => {
    let attempt = 0;
    const created = await eventually(
      () =>
        cluster.client
          .request<StoredConfigMap>({
            method: "POST",
            path: configMaps(),
            body: { metadata: { name: `mutated-${++attempt}`, labels: { mutate: "yes" } } },
          })
          .then((object) => (object.metadata.labels?.mutated ? object : undefined)),
      { what: "the mutating webhook to label a ConfigMap" },
    );
    expect(created.metadata.annotations).toEqual({ [`${uuid}.pepr.dev/names`]: "succeeded" });
    expect(Object.keys(created.metadata.annotations ?? {}).some((key) => key.includes("capstan.dev"))).toBe(false);
  });

  it("adds pepr.dev/finalizer to new objects and removes it on delete", async () => {
    const created = await eventually(
      () =>
        cluster.client
          .request<StoredConfigMap>({
            method: "POST",
            path: configMaps(),
            body: { metadata: { name: `fin-${randomBytes(2).toString("hex")}`, labels: { finalize: "yes" } } },
          })
          .then((object) => (object.metadata.finalizers?.length ? object : undefined)),
      { what: "the Finalize binding to add its finalizer" },
    );
    const name = created.metadata.name;
    expect(created.metadata.finalizers).toEqual(["pepr.dev/finalizer"]);
    await cluster.client.request({ method: "DELETE", path: `${configMaps()}/${name}` });
    await eventually(
      () =>
        cluster.client.request({ path: `${configMaps()}/${name}` }).then(
          () => undefined,
          (error: unknown) => (error instanceof NotFoundError ? true : Promise.reject(error)),
        ),
      { what: `${name} to be finalized and deleted` },
    );
    expect(finalized).toContain(name);
  });

  it("K8s().Apply changes fields the field manager `pepr` owns, where capstan's manager conflicts", async () => {
    await cluster.client.request({
      method: "PATCH",
      path: `${configMaps()}/applied`,
      query: { fieldManager: "pepr" },
      contentType: "application/apply-patch+yaml",
      body: JSON.stringify({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "applied", namespace },
        data: { key: "pepr" },
      }),
    });
    const change = { metadata: { name: "applied", namespace }, data: { key: "capstan" } };
    setFieldManager("capstan");
    await expect(K8s(ConfigMap).Apply(change)).rejects.toBeInstanceOf(ConflictError);
    setFieldManager("pepr");
    const applied = (await K8s(ConfigMap).Apply(change)) as StoredConfigMap;
    expect(applied.data).toEqual({ key: "capstan" });
    expect(applied.metadata.managedFields?.map((entry) => entry.manager)).toEqual(["pepr"]);
  });
});
