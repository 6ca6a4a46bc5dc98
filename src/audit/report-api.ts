// The two report APIs the audit can write (docs/adr/0016-policy-reports.md), and their CRDs with the
// published schema's structure (fields, types, enums, required; descriptions left out).
import type { ReportApi } from "../model/index.ts";

export interface ReportKinds {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly shortName: string;
  readonly clusterKind: string;
  readonly clusterPlural: string;
  readonly clusterShortName: string;
  /** OpenReports has a report-level `source` and `configuration`; wgpolicyk8s v1alpha2 has neither. */
  readonly reportSource: boolean;
}

export const REPORT_KINDS: Readonly<Record<ReportApi, ReportKinds>> = {
  openreports: {
    group: "openreports.io",
    version: "v1alpha1",
    kind: "Report",
    plural: "reports",
    shortName: "reps",
    clusterKind: "ClusterReport",
    clusterPlural: "clusterreports",
    clusterShortName: "creps",
    reportSource: true,
  },
  wgpolicyk8s: {
    group: "wgpolicyk8s.io",
    version: "v1alpha2",
    kind: "PolicyReport",
    plural: "policyreports",
    shortName: "polr",
    clusterKind: "ClusterPolicyReport",
    clusterPlural: "clusterpolicyreports",
    clusterShortName: "cpolr",
    reportSource: false,
  },
};

/** The REST collection of a report API's namespaced or cluster reports. */
export function reportCollection(api: ReportApi, namespace: string | undefined): string {
  const kinds = REPORT_KINDS[api];
  const base = `/apis/${kinds.group}/${kinds.version}`;
  return namespace ? `${base}/namespaces/${namespace}/${kinds.plural}` : `${base}/${kinds.clusterPlural}`;
}

const RESULTS = ["pass", "fail", "warn", "error", "skip"] as const;
const string = { type: "string" };
const integer = { type: "integer" };
const objectReference = {
  type: "object",
  "x-kubernetes-map-type": "atomic",
  properties: Object.fromEntries(
    ["apiVersion", "fieldPath", "kind", "name", "namespace", "resourceVersion", "uid"].map((field) => [field, string]),
  ),
};
const labelSelector = {
  type: "object",
  "x-kubernetes-map-type": "atomic",
  properties: {
    matchExpressions: {
      type: "array",
      "x-kubernetes-list-type": "atomic",
      items: {
        type: "object",
        required: ["key", "operator"],
        properties: {
          key: string,
          operator: string,
          values: { type: "array", "x-kubernetes-list-type": "atomic", items: string },
        },
      },
    },
    matchLabels: { type: "object", additionalProperties: string },
  },
};

function reportSchema(kinds: ReportKinds) {
  const result = {
    type: "object",
    required: ["policy"],
    properties: {
      category: string,
      message: string,
      policy: string,
      properties: { type: "object", additionalProperties: string },
      resourceSelector: labelSelector,
      resources: { type: "array", items: objectReference },
      result: { type: "string", enum: [...RESULTS] },
      rule: string,
      scored: { type: "boolean" },
      severity: { type: "string", enum: ["critical", "high", "low", "medium", "info"] },
      source: string,
      timestamp: {
        type: "object",
        required: ["nanos", "seconds"],
        properties: { nanos: { type: "integer", format: "int32" }, seconds: { type: "integer", format: "int64" } },
      },
    },
  };
  return {
    type: "object",
    properties: {
      apiVersion: string,
      kind: string,
      metadata: { type: "object" },
      ...(kinds.reportSource
        ? {
            source: string,
            configuration: {
              type: "object",
              required: ["limits"],
              properties: {
                limits: {
                  type: "object",
                  properties: {
                    maxResults: integer,
                    statusFilter: { type: "array", items: { type: "string", enum: [...RESULTS] } },
                  },
                },
              },
            },
          }
        : {}),
      results: { type: "array", items: result },
      scope: objectReference,
      scopeSelector: labelSelector,
      summary: {
        type: "object",
        properties: Object.fromEntries(RESULTS.map((name) => [name, integer])),
      },
    },
  };
}

const columns = [
  { name: "Kind", type: "string", jsonPath: ".scope.kind", priority: 1 },
  { name: "Name", type: "string", jsonPath: ".scope.name", priority: 1 },
  ...RESULTS.map((name) => ({
    name: name[0]?.toUpperCase() + name.slice(1),
    type: "integer",
    jsonPath: `.summary.${name}`,
  })),
  { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
];

/** The namespaced and the cluster report CRD of a report API. */
export function reportCrds(api: ReportApi): Record<string, unknown>[] {
  const kinds = REPORT_KINDS[api];
  const crd = (kind: string, plural: string, shortName: string, scope: "Namespaced" | "Cluster") => ({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${kinds.group}` },
    spec: {
      group: kinds.group,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames: [shortName] },
      scope,
      versions: [
        {
          name: kinds.version,
          served: true,
          storage: true,
          additionalPrinterColumns: columns,
          schema: { openAPIV3Schema: reportSchema(kinds) },
          subresources: {},
        },
      ],
    },
  });
  return [
    crd(kinds.kind, kinds.plural, kinds.shortName, "Namespaced"),
    crd(kinds.clusterKind, kinds.clusterPlural, kinds.clusterShortName, "Cluster"),
  ];
}
