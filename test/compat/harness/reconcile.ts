import { expect } from "vitest";
import type { CompatContext } from "./context.ts";

/** One object the reconcile modules' tests apply twelve times: `<kind>/<namespace>/<name>`. */
export type ObjectKey = `${"ConfigMap" | "Secret"}/${string}/${string}`;

/**
 * Applies each object twelve times in quick succession, interleaved (x1 y1 z1 x2 y2 z2 ...), with
 * `metadata.annotations.value` = 1..12, then checks what Pepr's Reconcile guarantees per
 * PEPR_RECONCILE_STRATEGY (label `compat-e2e`): every event gives one call, in order; objects of one `queues` group never
 * run at once and, kind by kind, run in the order applied; objects of different groups do run at once.
 * The modules log `reconcile start` / `reconcile end` with kind, namespace, name, value and phase.
 */
export async function twelveQuickApplies(t: CompatContext, queues: readonly (readonly ObjectKey[])[]): Promise<void> {
  const objects = queues.flat();
  const namespaces = [...new Set(objects.map((key) => key.split("/")[1] as string))];
  for (const namespace of namespaces)
    await t.apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`);
  const applied: string[] = [];
  for (let value = 1; value <= 12; value++) {
    for (const key of objects) {
      const [kind, namespace, name] = key.split("/") as [string, string, string];
      const plural = kind === "ConfigMap" ? "configmaps" : "secrets";
      await t.client.request({
        method: "PATCH",
        path: `/api/v1/namespaces/${namespace}/${plural}/${name}`,
        query: { fieldManager: "compat-e2e", force: true },
        contentType: "application/apply-patch+yaml",
        body: {
          apiVersion: "v1",
          kind,
          metadata: { name, namespace, labels: { "compat-e2e": "yes" }, annotations: { value: String(value) } },
        },
      });
      applied.push(`${key}#${value}`);
    }
  }
  const starts = () =>
    t.moduleLogRecords().filter((line) => line.msg === "reconcile start" || line.msg === "reconcile end");
  await t.waitFor(
    `${applied.length} Reconcile calls`,
    async () => (starts().filter((line) => line.msg === "reconcile end").length >= applied.length ? true : undefined),
    60_000,
  );
  await t.sleep(500);
  const events = starts().map((line) => ({
    edge: line.msg === "reconcile start" ? "start" : "end",
    id: `${line.kind}/${line.namespace}/${line.name}#${line.value}`,
    key: `${line.kind}/${line.namespace}/${line.name}`,
    phase: line.phase,
  }));
  const calls = events.filter((event) => event.edge === "start");
  expect(calls).toHaveLength(applied.length);
  for (const key of objects) {
    const own = calls.filter((call) => call.key === key);
    expect(own.map((call) => call.id)).toEqual(Array.from({ length: 12 }, (_, i) => `${key}#${i + 1}`));
    expect(own.map((call) => call.phase)).toEqual(["ADDED", ...Array.from({ length: 11 }, () => "MODIFIED")]);
  }
  for (const group of queues) {
    // One queue: its calls never overlap, and each kind's calls follow the order of the applies. Each
    // kind has its own watch, so a queue shared by two kinds interleaves them as their events arrive.
    const own = events.filter((event) => group.includes(event.key as ObjectKey));
    const order = applied.filter((id) => group.some((key) => id.startsWith(`${key}#`)));
    const started = own.filter((event) => event.edge === "start").map((event) => event.id);
    for (const kind of new Set(group.map((key) => key.split("/")[0]))) {
      const ofKind = (id: string) => id.startsWith(`${kind}/`);
      expect(started.filter(ofKind)).toEqual(order.filter(ofKind));
    }
    own.forEach((event, i) => {
      expect({ at: i, edge: event.edge }).toEqual({ at: i, edge: i % 2 === 0 ? "start" : "end" });
    });
  }
  if (queues.length > 1) {
    // Different queues: some call of one starts while a call of another is running.
    let running = new Set<number>();
    let overlapped = false;
    for (const event of events) {
      const group = queues.findIndex((members) => members.includes(event.key as ObjectKey));
      if (event.edge === "start") {
        if ([...running].some((other) => other !== group)) overlapped = true;
        running.add(group);
      } else {
        running = new Set([...running].filter((other) => other !== group));
      }
    }
    expect(overlapped, "calls of different queues ran at once").toBe(true);
  }
}
