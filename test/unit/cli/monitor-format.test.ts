import { describe, expect, it } from "vitest";
import { formatMonitorLine } from "../../../src/cli/monitor/format.ts";

const time = Date.UTC(2026, 10, 26, 8, 30, 5);
const line = (record: object) => JSON.stringify({ level: 30, time, ...record });

describe("formatMonitorLine", () => {
  it("shows a mutation with its patch", () => {
    const text = formatMonitorLine(
      line({
        msg: "admission decision",
        operation: "CREATE",
        kind: "ConfigMap",
        namespace: "demo",
        name: "plain",
        allowed: true,
        patched: true,
        patch: [{ op: "add", path: "/metadata/labels", value: { greeted: "yes" } }],
        ms: 1.2,
      }),
      "pod-a",
    );
    expect(text).toBe(
      '08:30:05 MUTATED CREATE ConfigMap demo/plain 1.2 ms [pod-a]\n    patch [{"op":"add","path":"/metadata/labels","value":{"greeted":"yes"}}]',
    );
  });

  it("shows a denial with its message, and a plain allow", () => {
    expect(
      formatMonitorLine(
        line({
          msg: "admission decision",
          operation: "CREATE",
          kind: "Pod",
          namespace: "demo",
          name: "p",
          allowed: false,
          status: { code: 403, message: "no host network" },
        }),
      ),
    ).toBe("08:30:05 DENIED  CREATE Pod demo/p: no host network");
    expect(
      formatMonitorLine(
        line({
          msg: "admission decision",
          operation: "UPDATE",
          kind: "Namespace",
          name: "n",
          allowed: true,
          patched: false,
        }),
      ),
    ).toBe("08:30:05 ALLOWED UPDATE Namespace n");
  });

  it("shows controller actions with capability, binding and outcome", () => {
    expect(
      formatMonitorLine(
        line({
          msg: "controller action",
          action: "reconcile",
          phase: "ADDED",
          kind: "ConfigMap",
          namespace: "a",
          name: "x",
          "capstan.capability": "hello",
          "capstan.binding": "0-reconcile-configmap",
          result: "error",
          ms: 3,
        }),
      ),
    ).toBe("08:30:05 ERROR   reconcile ADDED ConfigMap a/x hello/0-reconcile-configmap 3 ms");
  });

  it("shows changed audit results with the rule and message", () => {
    expect(
      formatMonitorLine(
        line({
          msg: "audit result",
          rule: "cm-team",
          result: "fail",
          message: "ConfigMaps need a team label",
          kind: "ConfigMap",
          namespace: "a",
          name: "x",
        }),
      ),
    ).toBe("08:30:05 AUDIT FAIL ConfigMap a/x cm-team: ConfigMaps need a team label");
  });

  it("ignores other lines and text that is not JSON", () => {
    expect(formatMonitorLine(line({ msg: "module running" }))).toBeUndefined();
    expect(formatMonitorLine("capstan dev: module reloaded")).toBeUndefined();
    expect(formatMonitorLine("null")).toBeUndefined();
  });
});
