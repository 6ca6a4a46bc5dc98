import { describe, expect, it } from "vitest";
import type { KubernetesObject } from "../../../src/k8s/kinds.ts";
import { finalizerAdder, finalizerOf } from "../../../src/model/finalizer.ts";
import { flavorNames, flavorOf, namesOf, parseFlavor } from "../../../src/model/flavor.ts";
import { moduleNamespace, parseModuleConfig } from "../../../src/model/module-config.ts";
import { PeprMutateRequest } from "../../../src/model/mutate-request.ts";
import { admissionRequest } from "../../../src/testing/requests.ts";

describe("the flavor names table", () => {
  it("gives Pepr's names to a `pepr` module and capstan's to a `capstan` one", () => {
    const pepr = flavorNames("pepr");
    expect({
      finalizer: pepr.finalizer,
      namespace: pepr.defaultNamespace,
      fieldManager: pepr.fieldManager,
      uuidLabel: pepr.uuidLabel,
      description: pepr.descriptionAnnotation,
      prefix: pepr.objectPrefix("u1"),
      status: pepr.statusAnnotationPrefix("u1"),
    }).toEqual({
      finalizer: "pepr.dev/finalizer",
      namespace: "pepr-system",
      fieldManager: "pepr",
      uuidLabel: "pepr.dev/uuid",
      description: "pepr.dev/description",
      prefix: "pepr-u1",
      status: "u1.pepr.dev/",
    });
    const capstan = flavorNames("capstan");
    expect([
      capstan.finalizer,
      capstan.defaultNamespace,
      capstan.fieldManager,
      capstan.statusAnnotationPrefix("u1"),
    ]).toEqual(["capstan.dev/finalizer", "capstan-system", "capstan", "u1.capstan.dev/"]);
  });

  it("parseModuleConfig records the flavor from the package.json key, and the namespace follows it", () => {
    const pepr = parseModuleConfig({ pepr: { uuid: "a", onError: "reject" } });
    const capstan = parseModuleConfig({ capstan: { uuid: "a", onError: "reject" } });
    expect([pepr.flavor, capstan.flavor]).toEqual(["pepr", "capstan"]);
    expect([moduleNamespace(pepr), moduleNamespace(capstan)]).toEqual(["pepr-system", "capstan-system"]);
    expect(moduleNamespace({ ...pepr, namespace: "mine" })).toBe("mine");
    // A config written by hand without a flavor is a Pepr module's, as a package.json without `capstan` is.
    expect(flavorOf({})).toBe("pepr");
    expect(namesOf(capstan).finalizer).toBe("capstan.dev/finalizer");
    expect(finalizerOf("pepr")).toBe("pepr.dev/finalizer");
  });

  it("a flavor from the environment must be pepr or capstan", () => {
    expect(parseFlavor("pepr", "CAPSTAN_FLAVOR")).toBe("pepr");
    expect(() => parseFlavor("Pepr", "CAPSTAN_FLAVOR")).toThrow('Invalid CAPSTAN_FLAVOR "Pepr": use pepr or capstan');
  });

  it("the Finalize mutate half adds the module's own finalizer once, never on DELETE or a deleting object", () => {
    const add = finalizerAdder("pepr.dev/finalizer");
    const object: KubernetesObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "x", finalizers: ["other"] },
    };
    const created = new PeprMutateRequest<KubernetesObject>(admissionRequest({ operation: "CREATE", object }));
    add(created);
    add(created);
    expect(created.Raw.metadata?.finalizers).toEqual(["other", "pepr.dev/finalizer"]);
    const deleting = { ...object, metadata: { ...object.metadata, deletionTimestamp: "2026-01-01T00:00:00Z" } };
    const update = new PeprMutateRequest<KubernetesObject>(
      admissionRequest({ operation: "UPDATE", object: deleting, oldObject: object }),
    );
    add(update);
    expect(update.Raw.metadata?.finalizers).toEqual(["other"]);
  });
});
