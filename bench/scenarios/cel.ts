// Scenario 9: one rule three ways. ConfigMap creates through the API server with no policy, with the
// rule as a ValidateCEL binding compiled by capstan into a ValidatingAdmissionPolicy (the API server
// evaluates it in-process), and with the same rule as capstan's webhook Validate (issue 17).
import { type CelPolicyObjects, celPolicies } from "../../src/admission/cel-policies.ts";
import { applyCelPolicies, deleteCelPolicies } from "../../src/admission/cel-registration.ts";
import type { ApiClient } from "../../src/k8s/api-client.ts";
import { ApiError } from "../../src/k8s/errors.ts";
import * as a from "../../src/k8s/models.ts";
import { Capability } from "../../src/model/capability.ts";
import { PeprModule } from "../../src/model/module.ts";
import { capstanEngine } from "../engines/capstan.ts";
import type { RunningEngine } from "../engines/engine.ts";
import { sleep } from "../engines/running-engine.ts";
import { type BenchContext, dropNamespace, freshNamespace, startReady } from "../harness/context.ts";
import { configMapRequests, createAll } from "../harness/load.ts";
import { SampleTable, type ScenarioResult } from "../harness/results.ts";
import { percentile } from "../harness/stats.ts";
import { turnOrder } from "../harness/turns.ts";

export const CEL_TARGETS = {
  none: "no policy",
  cel: "ValidateCEL (ValidatingAdmissionPolicy)",
  webhook: "capstan webhook Validate",
} as const;
type Target = keyof typeof CEL_TARGETS;

const CREATES = 300;
const MODERATE = 4;
const SATURATING = 16;
const EXPRESSION = "has(object.metadata.labels) && 'app' in object.metadata.labels";
const MESSAGE = "a ConfigMap needs an app label";

export async function cel(context: BenchContext): Promise<ScenarioResult> {
  if (!context.engines.some((engine) => engine.name === capstanEngine.name)) {
    throw new Error("the cel scenario measures capstan's paths: include the capstan engine");
  }
  const table = new SampleTable();
  for (let round = 0; round <= context.runs; round++) {
    for (const target of turnOrder(Object.keys(CEL_TARGETS) as Target[], round)) {
      const namespace = await freshNamespace(context.client, "bench-cel");
      const stop = await arm(context, target, namespace);
      try {
        await createAll(context.client, configMapRequests(namespace, "warm", 20), MODERATE);
        if (round === 0) continue;
        const moderate = await timedCreates(context.client, namespace, "m", MODERATE);
        const saturating = await timedCreates(context.client, namespace, "s", SATURATING);
        await assertEnforced(context.client, namespace, target);
        table.add(CEL_TARGETS[target], {
          rate: moderate.rate,
          p50: percentile(moderate.latencies, 50),
          p99: percentile(moderate.latencies, 99),
          rateSaturated: saturating.rate,
        });
        context.log(
          `cel round ${round} ${CEL_TARGETS[target]}: ${Math.round(moderate.rate)} / ${Math.round(saturating.rate)} creates/s`,
        );
      } finally {
        await stop();
        await dropNamespace(context.client, namespace);
      }
    }
  }
  return {
    id: "cel",
    title: "9. CEL policy vs webhook",
    method:
      `${CREATES} ConfigMaps created in a fresh namespace, ${MODERATE} in flight (then ${SATURATING}), under one rule ` +
      `(\`${EXPRESSION}\`): with no policy; as a ValidateCEL binding compiled by capstan into a ValidatingAdmissionPolicy ` +
      "and its binding (Deny), which the API server evaluates itself; and as capstan's webhook Validate (the bench module " +
      "under `capstan dev`'s runtime, its webhook registered at 127.0.0.1). Each policy is proven in force before and " +
      "after the timed creates (a dry-run create without the label is denied). Not pinned, as scenario 2.",
    metrics: [
      { key: "rate", label: `creates/s, ${MODERATE} in flight`, unit: "", better: "higher" },
      { key: "p50", label: "p50", unit: "ms", better: "lower", digits: 1 },
      { key: "p99", label: "p99", unit: "ms", better: "lower", digits: 1 },
      { key: "rateSaturated", label: `creates/s, ${SATURATING} in flight`, unit: "", better: "higher" },
    ],
    rows: table.rows(),
    distributions: [],
    notes: [],
  };
}

/** Puts the target's rule in force in `namespace` and returns how to take it away. */
async function arm(context: BenchContext, target: Target, namespace: string): Promise<() => Promise<void>> {
  if (target === "none") return async () => {};
  if (target === "webhook") {
    const running: RunningEngine = await startReady(context, capstanEngine, {
      namespace,
      scenario: "cel",
      registerWebhooks: true,
    });
    try {
      await assertEnforced(context.client, namespace, target);
    } catch (error) {
      await running.stop();
      throw error;
    }
    return () => running.stop();
  }
  const objects = policyFor(namespace);
  await applyCelPolicies(context.client, objects);
  const names = objects.map((o) => (o.policy.metadata as { name: string }).name);
  try {
    await assertEnforced(context.client, namespace, target);
  } catch (error) {
    await deleteCelPolicies(context.client, names);
    throw error;
  }
  return () => deleteCelPolicies(context.client, names);
}

function policyFor(namespace: string): CelPolicyObjects[] {
  const capability = new Capability({ name: "bench-cel", description: "", namespaces: [namespace] });
  capability
    .When(a.ConfigMap)
    .IsCreated()
    .InNamespace(namespace)
    .ValidateCEL({ expression: EXPRESSION, message: MESSAGE });
  const module = new PeprModule({ pepr: { uuid: "bench-cel", onError: "reject" } }, [capability], { deferStart: true });
  return celPolicies(module);
}

/** Waits (the API server loads policies asynchronously) until an unlabelled create is denied, or allowed for "none". */
async function assertEnforced(client: ApiClient, namespace: string, target: Target): Promise<void> {
  for (let waited = 0; ; waited += 100) {
    const denied = await client
      .request({
        method: "POST",
        path: `/api/v1/namespaces/${namespace}/configmaps?dryRun=All`,
        body: { metadata: { name: "probe" } },
      })
      .then(
        () => false,
        (error: unknown) => {
          if (error instanceof ApiError && (error.status === 422 || error.status === 403 || error.status === 400)) {
            if (!error.message.includes(MESSAGE)) throw error;
            return true;
          }
          throw error;
        },
      );
    if (denied === (target !== "none")) return;
    if (target === "none") throw new Error("an unlabelled ConfigMap was denied with no policy in force");
    if (waited > 30_000) throw new Error(`${CEL_TARGETS[target]}: the rule was not in force within 30 s`);
    await sleep(100);
  }
}

async function timedCreates(
  client: ApiClient,
  namespace: string,
  prefix: string,
  concurrency: number,
): Promise<{ rate: number; latencies: number[] }> {
  const started = performance.now();
  const created = await createAll(client, configMapRequests(namespace, prefix, CREATES), concurrency);
  const seconds = (performance.now() - started) / 1000;
  return { rate: created.length / seconds, latencies: created.map((c) => c.doneAt - c.sentAt) };
}
