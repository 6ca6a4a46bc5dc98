import { describe, expect, it } from "vitest";
import { formatPolicyChange, policyChanges, policyCounts } from "../../../src/cli/monitor/policies.ts";

const METRICS = `# HELP apiserver_validating_admission_policy_check_total Validation admission policy check total
# TYPE apiserver_validating_admission_policy_check_total counter
apiserver_validating_admission_policy_check_total{enforcement_action="deny",error_type="invalid_error",policy="capstan-u1-rules-0-validate-cel-pod",policy_binding="capstan-u1-rules-0-validate-cel-pod"} 3
apiserver_validating_admission_policy_check_total{enforcement_action="warn",error_type="compile_error",policy="capstan-u1-rules-1-validate-cel-pod",policy_binding="capstan-u1-rules-1-validate-cel-pod"} 1
apiserver_validating_admission_policy_check_total{enforcement_action="deny",error_type="invalid_error",policy="someone-else",policy_binding="someone-else"} 9
apiserver_mutating_admission_policy_check_total{error_type="no_error",policy="capstan-u1-rules-2-mutate-cel-pod",policy_binding="capstan-u1-rules-2-mutate-cel-pod"} 4
apiserver_validating_admission_policy_check_duration_seconds_count{enforcement_action="deny",error_type="invalid_error",policy="capstan-u1-rules-0-validate-cel-pod",policy_binding="capstan-u1-rules-0-validate-cel-pod"} 3
`;

describe("monitor: CEL policy counters", () => {
  it("keeps the module's policies' counters only", () => {
    expect(policyCounts(METRICS, "capstan-u1-")).toEqual([
      expect.objectContaining({ policy: "capstan-u1-rules-0-validate-cel-pod", action: "deny", count: 3 }),
      expect.objectContaining({
        policy: "capstan-u1-rules-1-validate-cel-pod",
        action: "warn",
        errorType: "compile_error",
      }),
      expect.objectContaining({ policy: "capstan-u1-rules-2-mutate-cel-pod", action: "mutate", count: 4 }),
    ]);
  });

  it("reports what grew, and a counter that went back (API server restart) from 0", () => {
    const before = policyCounts(METRICS, "capstan-u1-");
    const after = policyCounts(
      METRICS.replace("} 3\n", "} 5\n").replace(
        'no_error",policy="capstan-u1-rules-2-mutate-cel-pod",policy_binding="capstan-u1-rules-2-mutate-cel-pod"} 4',
        'no_error",policy="capstan-u1-rules-2-mutate-cel-pod",policy_binding="capstan-u1-rules-2-mutate-cel-pod"} 1',
      ),
      "capstan-u1-",
    );
    const changes = policyChanges(before, after);
    expect(changes.map((c) => [c.count.action, c.added])).toEqual([
      ["deny", 2],
      ["mutate", 1],
    ]);
    const at = new Date("2026-12-05T10:11:12Z");
    expect(changes.map((c) => formatPolicyChange(c, at))).toEqual([
      "10:11:12  CEL policy capstan-u1-rules-0-validate-cel-pod  denied ×2  (total 5)",
      "10:11:12  CEL policy capstan-u1-rules-2-mutate-cel-pod  mutated ×1  (total 1)",
    ]);
    const compile = policyChanges(undefined, before).find((c) => c.count.action === "warn");
    expect(compile && formatPolicyChange(compile, at)).toBe(
      "10:11:12  CEL policy capstan-u1-rules-1-validate-cel-pod  warned ×1, compile error  (total 1)",
    );
  });
});
