import { afterEach, describe, expect, it } from "vitest";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { type ControllerTester, controllerTester } from "../../../src/testing/index.ts";

// issue 21, problem 10: a stopped controllerTester must not accept work and silently run nothing.

const configMap = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "apps" } });

function watcher(): Capability {
  const capability = new Capability({ name: "watcher", description: "" });
  capability
    .When(ConfigMap)
    .IsCreatedOrUpdated()
    .Watch(() => {});
  return capability;
}

describe("a stopped controllerTester", () => {
  it("throws on apply, delete, advance and settle, naming the call and what to do", async () => {
    const tester = controllerTester(watcher());
    await tester.apply(configMap("before"));
    expect(tester.calls.map((call) => call.outcome)).toEqual(["ok"]);
    await tester.stop();

    const hint = /a stopped tester runs no callbacks\. Make one tester per test/;
    await expect(tester.apply(configMap("after"))).rejects.toThrow(/^controllerTester: apply\(\) after stop\(\)/);
    await expect(tester.apply(configMap("after"))).rejects.toThrow(hint);
    await expect(tester.delete(configMap("before"))).rejects.toThrow(/^controllerTester: delete\(\) after stop\(\)/);
    await expect(tester.advance("1s")).rejects.toThrow(/^controllerTester: advance\(\) after stop\(\)/);
    await expect(tester.settle()).rejects.toThrow(/^controllerTester: settle\(\) after stop\(\)/);
    // What ran before the stop can still be read, and a second stop is harmless.
    expect(tester.calls).toHaveLength(1);
    await tester.stop();
  });
});

// The documented pattern (docs/testing.md): one tester per test, stopped after each.
describe("afterEach(stop) with a tester per test", () => {
  let tester: ControllerTester | undefined;
  afterEach(() => tester?.stop());

  for (const name of ["first", "second"]) {
    it(`runs the ${name} test's callbacks`, async () => {
      tester = controllerTester(watcher());
      await tester.apply(configMap(name));
      expect(tester.calls.map((call) => `${call.object} ${call.outcome}`)).toEqual([`apps/${name} ok`]);
    });
  }
});
