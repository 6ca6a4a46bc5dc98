// The `audit` key of the module config: background audit of existing objects into policy reports.

/** Which report API the audit writes: OpenReports (default) or the older wgpolicyk8s.io group. */
export type ReportApi = "openreports" | "wgpolicyk8s";
export const reportApis: readonly ReportApi[] = ["openreports", "wgpolicyk8s"];

export interface AuditConfig {
  /** Only these rules (alias, else `<capability>/<binding name>`); default every Validate binding. */
  readonly bindings?: string[];
  /** Default `openreports`. */
  readonly reportApi?: ReportApi;
}

/** What the runtime does with `audit`: off, or on with the rules (all when undefined) and the API. */
export interface AuditSettings {
  readonly enabled: boolean;
  readonly rules?: ReadonlySet<string>;
  readonly reportApi: ReportApi;
}

/** What is wrong with an `audit` value ("" = nothing). */
export function auditConfigError(value: unknown): string {
  if (value === undefined || typeof value === "boolean") return "";
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return 'Invalid audit: use true, or an object such as { "bindings": ["<rule>"], "reportApi": "openreports" }';
  }
  const { bindings, reportApi, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) return `Unknown audit key "${extra}": use "bindings" and "reportApi"`;
  if (bindings !== undefined && (!Array.isArray(bindings) || bindings.some((rule) => typeof rule !== "string"))) {
    return "Invalid audit.bindings: use a list of rule names (an alias, else <capability>/<binding name>)";
  }
  if (reportApi !== undefined && !(reportApis as readonly unknown[]).includes(reportApi)) {
    return `Invalid audit.reportApi "${String(reportApi)}": use one of ${reportApis.join(", ")}`;
  }
  return "";
}

export function auditSettings(config: { audit?: boolean | AuditConfig }): AuditSettings {
  const { audit } = config;
  if (!audit) return { enabled: false, reportApi: "openreports" };
  if (audit === true) return { enabled: true, reportApi: "openreports" };
  return {
    enabled: true,
    ...(audit.bindings ? { rules: new Set(audit.bindings) } : {}),
    reportApi: audit.reportApi ?? "openreports",
  };
}
