import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { CustomResourceDefinition } from "../../../src/build/crd/crd-object.ts";
import { generateCrds } from "../../../src/build/crd/generate.ts";
import { scaffoldKind } from "../../../src/build/crd/scaffold.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { InvalidError } from "../../../src/k8s/errors.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

// A group unique to this run, so parallel runs on the shared control plane never share the CRD.
const group = `crd${randomBytes(4).toString("hex")}`;
// The spec replaces the example one that crd create scaffolds; status and conditions stay as scaffolded.
const widgetSpec = `export interface WidgetSpec {
  /** How many copies to run. @integer */
  Replicas: number;
  size: "small" | "large";
  tags?: string[];
}`;

interface Condition {
  type: string;
  status: string;
}

describe("capstan crd generate against a real API server", () => {
  let dir: string;
  let client: ApiClient;
  let crd: CustomResourceDefinition;
  let namespace: string;
  let widgets: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "capstan-crd-"));
    const file = await scaffoldKind(dir, {
      kind: "Widget",
      group,
      version: "v1alpha1",
      domain: "capstan.dev",
      shortName: "wd",
      scope: "Namespaced",
    });
    const scaffolded = await readFile(file, "utf8");
    await writeFile(file, scaffolded.replace(/export interface WidgetSpec \{[^}]*\}/, widgetSpec));
    const [generated] = await generateCrds(dir, "crds");
    if (!generated) throw new Error("no CRD generated");
    crd = parse(await readFile(generated.file, "utf8")) as CustomResourceDefinition;
    client = await adminClient();
    await client.request({ method: "POST", path: CRDS, body: crd });
    await eventually(
      async () => {
        const current = await client.request<{ status?: { conditions?: Condition[] } }>({
          path: `${CRDS}/${crd.metadata.name}`,
        });
        return current.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")
          ? true
          : undefined;
      },
      { what: `${crd.metadata.name} Established` },
    );
    namespace = await freshNamespace(client, "crd");
    widgets = `/apis/${group}.capstan.dev/v1alpha1/namespaces/${namespace}/widgets`;
  });

  afterAll(async () => {
    await client?.request({ method: "DELETE", path: `${CRDS}/${crd.metadata.name}` }).catch(() => undefined);
    if (namespace) await client.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}` });
    await rm(dir, { recursive: true, force: true });
  });

  const widget = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: `${group}.capstan.dev/v1alpha1`,
    kind: "Widget",
    metadata: { name },
    spec,
  });

  it("generates crds/widget.yaml from what crd create scaffolded, named <plural>.<group>.<domain>", () => {
    expect(crd.metadata.name).toBe(`widgets.${group}.capstan.dev`);
    expect(crd.spec.names.shortNames).toEqual(["wd"]);
  });

  it("accepts a valid resource and status through the status subresource", async () => {
    const created = await client.request<{ spec: unknown; metadata: { name: string } }>({
      method: "POST",
      path: widgets,
      body: widget("good", { replicas: 2, size: "small", tags: ["a"] }),
    });
    expect(created.spec).toEqual({ replicas: 2, size: "small", tags: ["a"] });
    const condition = { lastTransitionTime: "2026-11-26T08:00:00Z", message: "up", reason: "Started" };
    const status = { observedGeneration: 1, conditions: [{ ...condition, status: "True", type: "Ready" }] };
    const patched = await client.request<{ status: unknown }>({
      method: "PATCH",
      path: `${widgets}/good/status`,
      contentType: "application/merge-patch+json",
      body: { status },
    });
    expect(patched.status).toEqual(status);
  });

  it("rejects an invalid resource with 422 naming each field", async () => {
    const error = await client
      .request({ method: "POST", path: widgets, body: widget("bad", { replicas: 1.5, size: "huge" }) })
      .then(
        () => undefined,
        (failure: unknown) => failure,
      );
    expect(error).toBeInstanceOf(InvalidError);
    const fields = ((error as InvalidError).details?.causes ?? []).map((cause) => cause.field);
    // The server adds a cause without a field ("<nil>") for the whole object; the named ones are the point.
    expect(fields.filter((field) => field?.startsWith("spec")).sort()).toEqual(["spec.replicas", "spec.size"]);
    expect((error as InvalidError).message).toMatch(/spec\.size: Unsupported value: "huge"/);
  });

  it("rejects a resource without a required field and a condition with a bad status", async () => {
    const missing = await client
      .request({ method: "POST", path: widgets, body: widget("missing", { size: "large" }) })
      .catch((failure: unknown) => failure);
    expect(missing).toBeInstanceOf(InvalidError);
    expect((missing as InvalidError).message).toMatch(/spec\.replicas: Required value/);
    const badStatus = await client
      .request({
        method: "PATCH",
        path: `${widgets}/good/status`,
        contentType: "application/merge-patch+json",
        body: {
          status: {
            conditions: [{ lastTransitionTime: "yesterday", message: "", reason: "R", status: "Maybe", type: "Ready" }],
          },
        },
      })
      .catch((failure: unknown) => failure);
    expect(badStatus).toBeInstanceOf(InvalidError);
    expect((badStatus as InvalidError).message).toMatch(/status\.conditions\[0\]\.status: Unsupported value: "Maybe"/);
    expect((badStatus as InvalidError).message).toMatch(/status\.conditions\[0\]\.lastTransitionTime/);
  });
});
