// One report per audited object (as Kyverno and Kubewarden write them): named after the object's
// uid, scoped to it, owned by it (the garbage collector removes it with the object), one result per
// binding that selects it.
import { createHash } from "node:crypto";
import type { KubernetesObject, ResolvedKind } from "../k8s/index.ts";
import type { Enforcement, ReportApi } from "../model/index.ts";
import type { BindingEvaluation } from "./evaluate.ts";
import { REPORT_KINDS } from "./report-api.ts";

/** A result's message is cut to this many characters: a report holds at most one result per binding, far from etcd's limit. */
export const MAX_MESSAGE_CHARS = 1024;
export const REPORT_SOURCE = "capstan";
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "capstan" } as const;
/** Annotation on each report: the digest of its results (`resultsDigest`), so a restart rewrites only what changed. */
export const RESULTS_ANNOTATION = "capstan.dev/audit-results";

type Result = "pass" | "fail" | "warn" | "error";

export interface ReportTarget {
  readonly kind: ResolvedKind;
  readonly object: KubernetesObject;
}

export interface ReportContext {
  readonly api: ReportApi;
  /** The module's uuid label (`capstan.dev/uuid` or `pepr.dev/uuid`) and value. */
  readonly labels: Readonly<Record<string, string>>;
  readonly enforcementOf: (evaluation: BindingEvaluation) => Enforcement;
  readonly now?: Date;
}

function cut(message: string): string {
  return message.length <= MAX_MESSAGE_CHARS ? message : `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
}

function messageOf(evaluation: BindingEvaluation): string {
  if (evaluation.result === "warn" && !evaluation.message) return evaluation.warnings.join("; ");
  return evaluation.message ?? "";
}

/** The results as written, without timestamps: equal digests mean the report need not be written again. */
export function resultsDigest(evaluations: readonly BindingEvaluation[]): string {
  const key = JSON.stringify(evaluations.map((e) => [e.rule, e.result, messageOf(e), e.dryRunWrites.length]));
  return createHash("sha256").update(key).digest("base64url").slice(0, 22);
}

/** The report of one object; `evaluations` holds the bindings that select it (no skips). */
export function auditReport(
  target: ReportTarget,
  evaluations: readonly BindingEvaluation[],
  context: ReportContext,
  digest = resultsDigest(evaluations),
): Record<string, unknown> {
  const kinds = REPORT_KINDS[context.api];
  const { object, kind } = target;
  const metadata = object.metadata ?? {};
  const namespace = kind.namespaced ? metadata.namespace : undefined;
  const apiVersion = object.apiVersion ?? kind.apiVersion;
  const seconds = Math.floor((context.now ?? new Date()).getTime() / 1000);
  const results = evaluations.map((evaluation) => {
    const writes = evaluation.dryRunWrites.map((write) => `${write.method} ${write.path}`).join(", ");
    return {
      source: REPORT_SOURCE,
      policy: evaluation.binding.capability,
      rule: evaluation.rule,
      result: evaluation.result as Result,
      scored: true,
      message: cut(messageOf(evaluation)),
      timestamp: { seconds, nanos: 0 },
      properties: {
        enforcement: context.enforcementOf(evaluation),
        ...(writes ? { dryRunWrites: cut(writes) } : {}),
      },
    };
  });
  const summary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const result of results) summary[result.result] += 1;
  return {
    apiVersion: `${kinds.group}/${kinds.version}`,
    kind: namespace ? kinds.kind : kinds.clusterKind,
    metadata: {
      name: metadata.uid,
      ...(namespace ? { namespace } : {}),
      labels: { ...MANAGED_BY, ...context.labels },
      annotations: { [RESULTS_ANNOTATION]: digest },
      ownerReferences: [{ apiVersion, kind: kind.kind, name: metadata.name, uid: metadata.uid }],
    },
    ...(kinds.reportSource ? { source: REPORT_SOURCE } : {}),
    scope: {
      apiVersion,
      kind: kind.kind,
      name: metadata.name,
      ...(namespace ? { namespace } : {}),
      uid: metadata.uid,
    },
    results,
    summary,
  };
}
