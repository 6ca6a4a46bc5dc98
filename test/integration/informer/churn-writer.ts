// A separate process that creates, updates and deletes ConfigMaps on a schedule, so the changes
// keep coming while the process under test has its event loop blocked. Usage:
//   node churn-writer.ts <kubeconfig> <json: { namespaces, objects, durationMs, label }>
// Prints one JSON line with what it did when it is done.
import { ApiClient } from "../../../src/k8s/api-client.ts";
import { ConflictError, NotFoundError } from "../../../src/k8s/errors.ts";
import { churnPlans, type Plan } from "./churn.ts";
import { configMapPath, sleep } from "./helpers.ts";

const [kubeconfig, json] = process.argv.slice(2);
if (!kubeconfig || !json) throw new Error("usage: churn-writer.ts <kubeconfig> <plan json>");
const { namespaces, objects, durationMs, label } = JSON.parse(json) as {
  namespaces: string[];
  objects: number;
  durationMs: number;
  label: string;
};
const [labelKey, labelValue] = label.split("=") as [string, string];
const client = await ApiClient.fromKubeconfig({ kubeconfig });
const plans = churnPlans(objects, namespaces);
const ops = { creates: 0, updates: 0, deletes: 0, retries: 0 };
const totalOps = plans.reduce((n, p) => n + 1 + p.updates + (p.deleted ? 1 : 0), 0);
const workers = 4;
const pauseMs = durationMs / (totalOps / workers);

/** Retries through resets and API server restarts; a create that already happened or a delete of a gone object counts as done. */
async function write(action: () => Promise<unknown>, done: (error: unknown) => boolean): Promise<void> {
  for (;;) {
    try {
      await action();
      return;
    } catch (error) {
      if (done(error)) return;
      ops.retries++;
      await sleep(200);
    }
  }
}

const startedAt = Date.now();

async function worker(mine: Plan[]): Promise<void> {
  // Each worker's k-th operation is due at k pauses after the start, so slow requests do not
  // stretch the run past its duration.
  let done = 0;
  const pause = () => sleep(Math.max(0, startedAt + ++done * pauseMs - Date.now()));
  for (const plan of mine) {
    const path = configMapPath(plan.namespace, plan.name);
    const body = { metadata: { name: plan.name, labels: { [labelKey]: labelValue } }, data: { v: "0" } };
    await write(
      () => client.request({ method: "POST", path: configMapPath(plan.namespace), body }),
      (e) => e instanceof ConflictError,
    );
    ops.creates++;
    await pause();
    for (let v = 1; v <= plan.updates; v++) {
      const patch = { data: { v: String(v) } };
      await write(
        () => client.request({ method: "PATCH", path, contentType: "application/merge-patch+json", body: patch }),
        () => false,
      );
      ops.updates++;
      await pause();
    }
    if (plan.deleted) {
      await write(
        () => client.request({ method: "DELETE", path }),
        (e) => e instanceof NotFoundError,
      );
      ops.deletes++;
      await pause();
    }
  }
}

await Promise.all(Array.from({ length: workers }, (_, w) => worker(plans.filter((_, i) => i % workers === w))));
await client.close();
process.stdout.write(`${JSON.stringify(ops)}\n`);
