import { afterEach, describe, expect, it } from "vitest";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { loadedModules, PeprModule as Module, type PeprModule, setModuleStarter } from "../../../src/model/module.ts";
import {
  admissionIgnoredNamespaces,
  parseModuleConfig,
  watchIgnoredNamespaces,
} from "../../../src/model/module-config.ts";
import { sanitizeResourceName } from "../../../src/model/names.ts";
import { DeferredStore, type PeprStore } from "../../../src/model/store.ts";

afterEach(() => setModuleStarter(undefined));

describe("module config", () => {
  it("requires a valid onError, uuid and timeout", () => {
    expect(() => parseModuleConfig({})).toThrow(/Module config missing/);
    expect(() => parseModuleConfig({ pepr: { uuid: "x", onError: "explode" as never } })).toThrow(
      /Invalid onError value "explode"/,
    );
    expect(() => parseModuleConfig({ pepr: { uuid: "Not Valid", onError: "audit" } })).toThrow(/Invalid module uuid/);
    expect(() => parseModuleConfig({ pepr: { uuid: "x", onError: "audit", webhookTimeout: 31 } })).toThrow(/1 to 30/);
    expect(parseModuleConfig({ description: "d", pepr: { uuid: "x", onError: "audit" } })).toMatchObject({
      uuid: "x",
      description: "d",
      webhookTimeout: 10,
    });
  });

  it("picks ignored namespaces with alwaysIgnore taking precedence", () => {
    const base = { uuid: "x", onError: "audit" as const };
    const scoped = parseModuleConfig({
      pepr: {
        ...base,
        admission: { alwaysIgnore: { namespaces: ["a"] } },
        watch: { alwaysIgnore: { namespaces: ["w"] } },
      },
    });
    expect(admissionIgnoredNamespaces(scoped)).toEqual(["a"]);
    expect(watchIgnoredNamespaces(scoped)).toEqual(["w"]);
    const both = parseModuleConfig({
      pepr: { ...base, alwaysIgnore: { namespaces: ["all"] }, admission: { alwaysIgnore: { namespaces: ["a"] } } },
    });
    expect(admissionIgnoredNamespaces(both)).toEqual(["all"]);
  });
});

describe("PeprModule", () => {
  it("refuses bindings on ignored namespaces and duplicate capability names", () => {
    const cap = new Capability({ name: "c", description: "d" });
    cap
      .When(a.Pod)
      .IsCreated()
      .InNamespace("skip-me")
      .Mutate(() => {});
    expect(
      () => new Module({ pepr: { uuid: "m", onError: "reject", alwaysIgnore: { namespaces: ["skip-me"] } } }, [cap]),
    ).toThrow(/c\/0-mutate-pod: InNamespace\(skip-me\) names an ignored namespace/);
    const twin = new Capability({ name: "c", description: "d" });
    expect(() => new Module({ pepr: { uuid: "m", onError: "reject" } }, [cap, twin])).toThrow(
      /Two capabilities are named c/,
    );
  });

  it("hands itself to the runtime's starter unless deferStart", () => {
    const started: [PeprModule, number][] = [];
    setModuleStarter((module, port) => started.push([module, port]));
    const eager = new Module({ pepr: { uuid: "m", onError: "ignore" } });
    const lazy = new Module({ pepr: { uuid: "m", onError: "ignore" } }, [], { deferStart: true });
    expect(started).toEqual([[eager, 3000]]);
    lazy.start(4000);
    expect(started[1]).toEqual([lazy, 4000]);
    expect(loadedModules()).toContain(lazy);
    setModuleStarter(undefined);
    expect(() => lazy.start()).toThrow(/No capstan runtime/);
  });
});

describe("sanitizeResourceName", () => {
  it("follows Pepr's rules", () => {
    expect(sanitizeResourceName("My_Capability!!Name")).toBe("my-capability-name");
    expect(sanitizeResourceName("--x--")).toBe("x");
    expect(sanitizeResourceName("a".repeat(70))).toHaveLength(63);
  });
});

describe("DeferredStore", () => {
  it("keeps early subscriptions and onReady until the real store attaches", () => {
    const store = new DeferredStore("cap");
    const seen: string[] = [];
    store.onReady(() => seen.push("ready"));
    const unsubscribe = store.subscribe(() => seen.push("update"));
    expect(store.getItem("k")).toBeNull();
    expect(() => store.setItem("k", "v")).toThrow(/not running yet/);
    const listeners: ((data: Record<string, string>) => void)[] = [];
    const backend = {
      getItem: () => "v",
      onReady: (callback: (data: Record<string, string>) => void) => listeners.push(callback),
      subscribe: (listener: (data: Record<string, string>) => void) => {
        listeners.push(listener);
        return () => listeners.splice(listeners.indexOf(listener), 1);
      },
    } as unknown as PeprStore;
    store.attach(backend);
    for (const listener of [...listeners]) listener({});
    expect(seen).toEqual(["ready", "update"]);
    unsubscribe();
    expect(listeners).toHaveLength(1);
    expect(store.getItem("k")).toBe("v");
    expect(() => store.attach(backend)).toThrow("Store already registered for cap");
  });
});
