// `capstan crd types` (issue 19): types generated from 5 CRDs of different shapes compile under
// strict tsc, objects built through them are accepted by the real API server, a CRD read from the
// cluster by name gives the same file, and regenerating gives identical bytes.
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { CrdDocument } from "../../../src/build/crd/types-from-crd.ts";
import { writeCrdTypes } from "../../../src/build/crd/types-sources.ts";
import { K8s } from "../../../src/fluent/index.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ApiError, NotFoundError } from "../../../src/k8s/errors.ts";
import type { GenericKind } from "../../../src/k8s/models.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const fixtures = path.join(repo, "test/fixtures/crd-types");
const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

let client: ApiClient;
let dir: string;
let namespace: string;
const fetchCrd = async (name: string) => {
  try {
    return await client.request<CrdDocument>({ path: `${CRDS}/${name}` });
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
};

/** The objects the usage file builds; tsc checks them against the generated types. */
const usage = (ns: string) => `import { ClusterThing } from "./clusterthing.ts";
import { Config } from "./config.ts";
import { Gadget } from "./gadget.ts";
import { MultiV1 } from "./multi-v1.ts";
import { MultiV1alpha1 } from "./multi-v1alpha1.ts";
import { Widget } from "./widget.ts";

export const widget: Widget = {
  metadata: { name: "w1", namespace: "${ns}" },
  spec: { size: 3, shape: "odd-shaped", colour: null, frame: { material: "oak", hinge: { side: "left", locked: true } } },
};
export const gadget: Gadget = {
  metadata: { name: "g1", namespace: "${ns}" },
  spec: { ports: [{ port: 80, protocol: "TCP" }, { name: "web", port: "http" }], matrix: [[1, 2], [3]], maxUnavailable: "25%" },
};
export const config: Config = {
  metadata: { name: "c1", namespace: "${ns}" },
  spec: { settings: { a: "b" }, limits: { cpu: { max: 2 } }, raw: { any: [1, { deep: true }] }, extensible: { known: "k", other: 1 } },
};
export const thing: ClusterThing = {
  metadata: { name: "${ns}-thing" },
  data: { k: "v" },
  spec: { owner: "team-a", "weird-key": "x" },
};
export const multi: MultiV1 = { metadata: { name: "m1", namespace: "${ns}" }, spec: { count: 2, label: "new" } };
export const multiOld: MultiV1alpha1 = { metadata: { name: "m0", namespace: "${ns}" }, spec: { count: 1 } };
export { ClusterThing, Config, Gadget, MultiV1, MultiV1alpha1, Widget };
`;

/** A file tsc must refuse: a wrong enum value, a missing required field, a wrong type. */
const misuse = `import { Gadget } from "./gadget.ts";
import { Widget } from "./widget.ts";

export const badShape: Widget = { spec: { size: 1, shape: "triangle" } };
export const noSize: Widget = { spec: { shape: "round" } };
export const badPort: Gadget = { spec: { ports: [{ port: true }] } };
`;

async function compile(files: string[]): Promise<{ ok: boolean; output: string }> {
  const project = path.join(dir, `tsconfig-${path.basename(files[0] ?? "x", ".ts")}.json`);
  await writeFile(
    project,
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: "es2022",
        module: "nodenext",
        moduleResolution: "nodenext",
        allowImportingTsExtensions: true,
        skipLibCheck: true,
        types: [],
      },
      files: files.map((file) => path.join(dir, file)),
    }),
  );
  try {
    const output = execFileSync(process.execPath, [path.join(repo, "node_modules/typescript/bin/tsc"), "-p", project], {
      encoding: "utf8",
      stdio: "pipe",
    });
    return { ok: true, output };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

beforeAll(async () => {
  client = await adminClient();
  namespace = await freshNamespace(client, "crd-types");
  dir = await mkdtemp(path.join(tmpdir(), "capstan-crd-types-"));
  for (const file of (await readdir(fixtures)).sort()) {
    for (const document of parseAllDocuments(await readFile(path.join(fixtures, file), "utf8"))) {
      await client.request({ method: "POST", path: CRDS, body: document.toJSON() }).catch((error: unknown) => {
        if (!(error instanceof ApiError && error.status === 409)) throw error;
      });
    }
  }
  await eventually(
    async () => {
      for (const plural of ["widgets", "gadgets", "configs", "clusterthings", "multis"]) {
        const crd = await client.request<{ status?: { conditions?: { type: string; status: string }[] } }>({
          path: `${CRDS}/${plural}.crdtypes.capstan.dev`,
        });
        expect(
          crd.status?.conditions?.find((c) => c.type === "Established")?.status,
          `${plural}: ${JSON.stringify(crd.status?.conditions)}`,
        ).toBe("True");
      }
      return true;
    },
    { timeoutMs: 30_000 },
  );
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await client?.close();
});

describe("capstan crd types", () => {
  it("generates types that compile, that reject wrong objects, and whose objects the API server accepts", async () => {
    const importFrom = path.join(repo, "src/k8s/index.ts");
    const written = await writeCrdTypes([fixtures], dir, { importFrom, fetchCrd });
    expect(written.map((w) => path.basename(w.file)).sort()).toEqual([
      "clusterthing.ts",
      "config.ts",
      "gadget.ts",
      "multi-v1.ts",
      "multi-v1alpha1.ts",
      "widget.ts",
    ]);
    const first = await Promise.all(written.map((w) => readFile(w.file, "utf8")));
    await writeCrdTypes([fixtures], dir, { importFrom, fetchCrd });
    expect(await Promise.all(written.map((w) => readFile(w.file, "utf8")))).toEqual(first);

    await writeFile(path.join(dir, "use.ts"), usage(namespace));
    await writeFile(path.join(dir, "misuse.ts"), misuse);
    const good = await compile(["use.ts"]);
    expect(good.output).toBe("");
    expect(good.ok).toBe(true);
    const bad = await compile(["misuse.ts"]);
    expect(bad.ok).toBe(false);
    expect(bad.output).toMatch(/misuse\.ts\(4,.*"triangle"/);
    expect(bad.output).toMatch(/misuse\.ts\(5,.*size/);
    expect(bad.output).toMatch(/misuse\.ts\(6,.*boolean/);

    const made = (await import(path.join(dir, "use.ts"))) as Record<string, GenericKind> & {
      Widget: new () => GenericKind;
    };
    const pairs = [
      ["Widget", "widget"],
      ["Gadget", "gadget"],
      ["Config", "config"],
      ["ClusterThing", "thing"],
      ["MultiV1", "multi"],
      ["MultiV1alpha1", "multiOld"],
    ] as const;
    for (const [model, object] of pairs) {
      const applied = await K8s(made[model] as unknown as typeof GenericKind, {}, { client }).Apply(
        made[object] as GenericKind,
      );
      expect(applied.metadata?.uid, `${model} accepted`).toBeTruthy();
    }
    const widget = await K8s(made.Widget as unknown as typeof GenericKind, {}, { client })
      .InNamespace(namespace)
      .Get("w1");
    expect(widget.spec).toEqual(made.widget?.spec);
    await K8s(made.ClusterThing as unknown as typeof GenericKind, {}, { client }).Delete(`${namespace}-thing`);
  }, 180_000);

  it("reads a CRD from the cluster by name into the same file, and says what is wrong with bad sources", async () => {
    const fromFile = path.join(dir, "file");
    const fromCluster = path.join(dir, "cluster");
    await writeCrdTypes([path.join(fixtures, "widgets.yaml")], fromFile, { fetchCrd });
    await writeCrdTypes(["widgets.crdtypes.capstan.dev"], fromCluster, { fetchCrd });
    expect(await readFile(path.join(fromCluster, "widget.ts"), "utf8")).toBe(
      await readFile(path.join(fromFile, "widget.ts"), "utf8"),
    );
    await expect(writeCrdTypes(["nothings.crdtypes.capstan.dev"], fromCluster, { fetchCrd })).rejects.toThrow(
      "no such file, and the cluster has no CRD of that name",
    );
    const notCrd = path.join(dir, "pod.yaml");
    await writeFile(notCrd, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n");
    await expect(writeCrdTypes([notCrd], fromCluster, { fetchCrd })).rejects.toThrow(
      "holds no CustomResourceDefinition",
    );
    await expect(writeCrdTypes(["./missing/dir"], fromCluster, { fetchCrd })).rejects.toThrow("no such file or folder");
  });
});
