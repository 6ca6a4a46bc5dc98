/**
 * Decisions the API server makes itself with a module's CEL policies (ValidateCEL → ValidatingAdmissionPolicy,
 * MutateCEL → MutatingAdmissionPolicy): no capstan process sees them, so monitor reads the API server's
 * own counters. The validating counter counts what a policy did not admit (deny, warn, audit) and
 * its errors; the mutating one counts every mutation run.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type ApiClient, NotFoundError } from "../../k8s/index.ts";
import { promSamples } from "./prom-text.ts";

export const PolicyMetric = {
  validating: "apiserver_validating_admission_policy_check_total",
  mutating: "apiserver_mutating_admission_policy_check_total",
} as const;

const NAMES: ReadonlySet<string> = new Set(Object.values(PolicyMetric));

/** One counter series of one of the module's policies. */
export interface PolicyCount {
  readonly policy: string;
  readonly binding: string;
  /** deny, warn, audit (validating) or mutate. */
  readonly action: string;
  /** The API server's error_type: no_error, invalid_error (a failed validation), compile_error, … */
  readonly errorType: string;
  readonly count: number;
}

/** The module's policy counters in an API server's /metrics text: series of policies named with `prefix`. */
export function policyCounts(text: string, prefix: string): PolicyCount[] {
  return promSamples(text, NAMES)
    .filter((sample) => sample.labels.policy?.startsWith(prefix))
    .map((sample) => ({
      policy: sample.labels.policy as string,
      binding: sample.labels.policy_binding ?? "",
      action: sample.name === PolicyMetric.mutating ? "mutate" : (sample.labels.enforcement_action ?? "?"),
      errorType: sample.labels.error_type ?? "",
      count: sample.value,
    }));
}

const keyOf = (c: PolicyCount) => `${c.policy}\u0000${c.binding}\u0000${c.action}\u0000${c.errorType}`;

/** What changed between two readings: each series that grew, with how much (a restarted API server starts again from 0). */
export function policyChanges(
  before: readonly PolicyCount[] | undefined,
  after: readonly PolicyCount[],
): { readonly count: PolicyCount; readonly added: number }[] {
  const previous = new Map((before ?? []).map((c) => [keyOf(c), c.count]));
  return after.flatMap((count) => {
    const was = previous.get(keyOf(count)) ?? 0;
    const added = count.count >= was ? count.count - was : count.count;
    return added > 0 ? [{ count, added }] : [];
  });
}

const OUTCOME: Record<string, string> = {
  deny: "denied",
  warn: "warned",
  audit: "audited",
  mutate: "mutated",
};

/** One line per change: `<time>  CEL policy <name>  denied ×3  (total 5)`, with the error type when it is not a plain failed check. */
export function formatPolicyChange(
  change: { readonly count: PolicyCount; readonly added: number },
  now = new Date(),
): string {
  const { count, added } = change;
  const time = now.toISOString().slice(11, 19);
  const outcome = OUTCOME[count.action] ?? count.action;
  const plain = count.errorType === "no_error" || count.errorType === "invalid_error" || count.errorType === "";
  const error = plain ? "" : `, ${count.errorType.replaceAll("_", " ")}`;
  return `${time}  CEL policy ${count.policy}  ${outcome} ×${added}${error}  (total ${count.count})`;
}

/** The API server's /metrics text (needs `get` on the non-resource URL /metrics). */
export async function readApiServerMetrics(client: ApiClient, signal?: AbortSignal): Promise<string> {
  return client.request<string>({
    path: "/metrics",
    accept: "text/plain",
    signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(5_000)]) : AbortSignal.timeout(5_000),
  });
}

/**
 * Prints the module's policy decisions as they happen, reading the API server's counters every
 * `intervalMs` until the signal aborts. The first reading is the baseline (nothing printed for the
 * past, a summary line instead); a failed reading is said once and retried.
 */
export async function followPolicyDecisions(
  client: ApiClient,
  prefix: string,
  output: { readonly line: (text: string) => void; readonly say: (text: string) => void },
  signal: AbortSignal,
  intervalMs = 2_000,
): Promise<void> {
  let last: PolicyCount[] | undefined;
  let failing = false;
  while (!signal.aborted) {
    try {
      const counts = policyCounts(await readApiServerMetrics(client, signal), prefix);
      if (last === undefined) {
        const total = counts.reduce((sum, c) => sum + c.count, 0);
        output.say(
          `CEL policies ${prefix}*: ${total} decision${total === 1 ? "" : "s"} counted by the API server so far; new ones follow`,
        );
      } else {
        for (const change of policyChanges(last, counts)) output.line(formatPolicyChange(change));
      }
      last = counts;
      if (failing) output.say("reading the API server's policy metrics again");
      failing = false;
    } catch (error) {
      if (signal.aborted) break;
      if (!failing) {
        const reason = error instanceof Error ? error.message : String(error);
        output.say(
          `reading the API server's /metrics for CEL policy decisions failed: ${reason}; retrying (it needs get on the non-resource URL /metrics)`,
        );
      }
      failing = true;
    }
    await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
  }
}

/** How many ValidatingAdmissionPolicies and MutatingAdmissionPolicies carry the module's uuid label (an API the cluster lacks counts 0). */
export async function modulePolicyCount(client: ApiClient, labelSelector: string): Promise<number> {
  const count = async (resource: string) =>
    client
      .request<{ items: unknown[] }>({
        path: `/apis/admissionregistration.k8s.io/v1/${resource}`,
        query: { labelSelector },
      })
      .then((list) => list.items.length)
      .catch((error: unknown) => {
        if (error instanceof NotFoundError) return 0;
        throw error;
      });
  const [validating, mutating] = await Promise.all([
    count("validatingadmissionpolicies"),
    count("mutatingadmissionpolicies"),
  ]);
  return validating + mutating;
}
