import { describe, expect, it } from "vitest";
import { formatPreview, type PreviewReport, type PreviewRow } from "../../../src/audit/index.ts";
import { previewExitCode } from "../../../src/testing/index.ts";

function row(rule: string, namespace: string, counts: Partial<PreviewRow>): PreviewRow {
  return {
    rule,
    capability: "policy",
    binding: `${rule}-binding`,
    action: counts.mutate ? "mutate" : "validate",
    kind: "ConfigMap",
    namespace,
    evaluated: 0,
    pass: 0,
    deny: 0,
    warn: 0,
    mutate: 0,
    error: 0,
    dryRunWrites: 0,
    ...counts,
  };
}

const denials = Array.from({ length: 12 }, (_, i) => ({
  rule: "needs|owner",
  capability: "policy",
  binding: "needs|owner-binding",
  action: "validate" as const,
  kind: "ConfigMap",
  namespace: "team-a",
  name: `cm-${i}`,
  outcome: "deny" as const,
  message: `cm-${i} has no owner`,
}));

const report: PreviewReport = {
  objects: 14,
  rows: [
    row("needs|owner", "team-a", { evaluated: 14, deny: 12, pass: 2 }),
    row("team-label", "", { evaluated: 1, mutate: 1, dryRunWrites: 1 }),
  ],
  findings: [
    ...denials,
    {
      rule: "team-label",
      capability: "policy",
      binding: "team-label-binding",
      action: "mutate",
      kind: "ConfigMap",
      namespace: "",
      name: "global",
      outcome: "mutate",
      patch: [{ op: "add", path: "/metadata/labels/team", value: "x" }],
      dryRunWrites: [{ method: "PATCH", path: "/api/v1/namespaces/a/configmaps/b" }],
    },
  ],
  unserved: [],
  totals: { evaluated: 15, pass: 2, deny: 12, warn: 0, mutate: 1, error: 0 },
  ms: 1234,
};

describe("formatPreview", () => {
  it("table: aligned counts per binding and namespace, ten findings per group with how many more, patches and dry-run writes", () => {
    const text = formatPreview(report, "table");
    const lines = text.split("\n");
    expect(lines[0]).toBe("BINDING      KIND       NAMESPACE  SELECTED  DENY  WARN  MUTATE  ERROR");
    expect(lines[1]).toBe("needs|owner  ConfigMap  team-a           14    12     0       0      0");
    expect(lines[2]).toBe("team-label   ConfigMap  (cluster)         1     0     0       1      0");
    expect(text).toContain("needs|owner in team-a: would deny\n  ConfigMap team-a/cm-0: cm-0 has no owner\n");
    expect(text).not.toContain("cm-10");
    expect(text).toContain("… and 2 more (--output json lists every one)");
    expect(text).toContain(
      'ConfigMap global: [{"op":"add","path":"/metadata/labels/team","value":"x"}] [attempted 1 write(s), sent as dry runs]',
    );
    expect(text.trimEnd().split("\n").at(-1)).toBe(
      "14 objects, 15 binding evaluations: 12 would deny, 0 would warn, 1 would mutate, 0 errors (1.2 s; nothing was written)",
    );
  });

  it("names the kinds the cluster does not serve", () => {
    const text = formatPreview({ ...report, unserved: ["Widget (example.com/v1)"] }, "table");
    expect(text).toContain("\nnot served by the cluster (no objects): Widget (example.com/v1)\n14 objects");
  });

  it("markdown escapes pipes and right-aligns counts; json lists everything", () => {
    const text = formatPreview(report, "markdown");
    expect(text).toContain(
      "| BINDING | KIND | NAMESPACE | SELECTED | DENY | WARN | MUTATE | ERROR |\n| --- | --- | --- | ---: |",
    );
    expect(text).toContain("| needs\\|owner | ConfigMap | team-a | 14 | 12 | 0 | 0 | 0 |");
    expect(text).toContain("### needs\\|owner in team-a: would deny");
    const json = JSON.parse(formatPreview(report, "json")) as PreviewReport;
    expect(json.findings).toHaveLength(13);
  });

  it("exit status 3 when anything would be denied or a callback failed, else 0", () => {
    expect(previewExitCode(report)).toBe(3);
    const clean = { ...report, totals: { ...report.totals, deny: 0 } };
    expect(previewExitCode(clean)).toBe(0);
    expect(previewExitCode({ ...clean, totals: { ...clean.totals, error: 1 } })).toBe(3);
  });
});
