import type { PreviewFinding, PreviewOutcome, PreviewReport, PreviewRow } from "./preview.ts";

export type PreviewFormat = "table" | "json" | "markdown";
export const previewFormats: readonly PreviewFormat[] = ["table", "json", "markdown"];

/** Findings shown per binding, namespace and outcome in table and markdown output; JSON lists all. */
const SHOWN = 10;

const headings: Readonly<Record<PreviewOutcome, string>> = {
  deny: "would deny",
  warn: "would warn",
  mutate: "would mutate",
  error: "errors",
};

const columns = ["BINDING", "KIND", "NAMESPACE", "SELECTED", "DENY", "WARN", "MUTATE", "ERROR"] as const;

function cells(row: PreviewRow): string[] {
  return [
    row.rule,
    row.kind,
    row.namespace || "(cluster)",
    String(row.evaluated),
    String(row.deny),
    String(row.warn),
    String(row.mutate),
    String(row.error),
  ];
}

function objectName(finding: PreviewFinding): string {
  return finding.namespace ? `${finding.namespace}/${finding.name}` : finding.name;
}

function detail(finding: PreviewFinding): string {
  const writes = finding.dryRunWrites?.length
    ? ` [attempted ${finding.dryRunWrites.length} write(s), sent as dry runs]`
    : "";
  switch (finding.outcome) {
    case "mutate":
      return `${JSON.stringify(finding.patch ?? [])}${writes}`;
    case "warn":
      return `${(finding.warnings ?? [finding.message ?? ""]).join("; ")}${writes}`;
    default:
      return `${finding.message ?? ""}${writes}`;
  }
}

/** The findings grouped by row (binding and namespace) and outcome, at most SHOWN each, with how many more. */
function groups(
  report: PreviewReport,
): { row: PreviewRow; outcome: PreviewOutcome; shown: PreviewFinding[]; more: number }[] {
  const byKey = new Map<string, PreviewFinding[]>();
  for (const finding of report.findings) {
    const key = `${finding.capability}\u0000${finding.binding}\u0000${finding.namespace}\u0000${finding.outcome}`;
    const list = byKey.get(key) ?? [];
    list.push(finding);
    byKey.set(key, list);
  }
  const out: { row: PreviewRow; outcome: PreviewOutcome; shown: PreviewFinding[]; more: number }[] = [];
  for (const row of report.rows) {
    for (const outcome of ["deny", "warn", "mutate", "error"] as const) {
      const list = byKey.get(`${row.capability}\u0000${row.binding}\u0000${row.namespace}\u0000${outcome}`);
      if (list)
        out.push({ row, outcome, shown: list.slice(0, SHOWN), more: list.length - Math.min(SHOWN, list.length) });
    }
  }
  return out;
}

function summary(report: PreviewReport): string {
  const { totals } = report;
  const unserved =
    report.unserved.length > 0 ? `not served by the cluster (no objects): ${report.unserved.join(", ")}\n` : "";
  return (
    unserved +
    `${report.objects} objects, ${totals.evaluated} binding evaluations: ${totals.deny} would deny, ` +
    `${totals.warn} would warn, ${totals.mutate} would mutate, ${totals.error} errors ` +
    `(${(report.ms / 1000).toFixed(1)} s; nothing was written)`
  );
}

function table(report: PreviewReport): string {
  const body = report.rows.map(cells);
  const widths = columns.map((title, i) => Math.max(title.length, ...body.map((row) => (row[i] ?? "").length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (i >= 3 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  const lines = [line(columns), ...body.map(line)];
  for (const group of groups(report)) {
    lines.push("", `${group.row.rule} in ${group.row.namespace || "(cluster)"}: ${headings[group.outcome]}`);
    for (const finding of group.shown) lines.push(`  ${group.row.kind} ${objectName(finding)}: ${detail(finding)}`);
    if (group.more > 0) lines.push(`  … and ${group.more} more (--output json lists every one)`);
  }
  lines.push("", summary(report));
  return `${lines.join("\n")}\n`;
}

/** Markdown needs `|` escaped and no line breaks inside a cell. */
function md(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function markdown(report: PreviewReport): string {
  const lines = [
    "## capstan preview",
    "",
    summary(report),
    "",
    `| ${columns.join(" | ")} |`,
    `|${columns.map((_, i) => (i >= 3 ? " ---: " : " --- ")).join("|")}|`,
    ...report.rows.map((row) => `| ${cells(row).map(md).join(" | ")} |`),
  ];
  for (const group of groups(report)) {
    lines.push(
      "",
      `### ${md(group.row.rule)} in ${group.row.namespace || "(cluster)"}: ${headings[group.outcome]}`,
      "",
    );
    for (const finding of group.shown)
      lines.push(`- \`${group.row.kind} ${objectName(finding)}\`: ${md(detail(finding))}`);
    if (group.more > 0) lines.push(`- … and ${group.more} more (\`--output json\` lists every one)`);
  }
  return `${lines.join("\n")}\n`;
}

/** The report as `capstan preview --output <format>` prints it. */
export function formatPreview(report: PreviewReport, format: PreviewFormat): string {
  if (format === "json") return `${JSON.stringify(report, null, 2)}\n`;
  return format === "markdown" ? markdown(report) : table(report);
}
