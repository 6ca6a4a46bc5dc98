// The ring simulation of issue 18 at full size (100 shards × 1,000,000 objects, 30 membership changes:
// joins, graceful leaves and crashes in turn) as a bench table, and the balance per virtual-node count.
// `node bench/shard/simulate.ts [--shards 100] [--objects 1000000] [--changes 30]` prints the table
// as markdown (the figures of docs/scaling.md); `npm run bench -- --scenarios shard` puts it in RESULTS.md.
import { parseArgs } from "node:util";
import {
  DEFAULT_HANDOVER_TIMINGS,
  DEFAULT_VNODES,
  type HandoverTimings,
  type MembershipChangeKind,
  type SimulationReport,
  simulateRing,
} from "../../src/shard/index.ts";
import { renderReport } from "../harness/report.ts";
import { SampleTable, type ScenarioResult } from "../harness/results.ts";

export interface SimulationSize {
  readonly shards: number;
  readonly objects: number;
  readonly changes: number;
}

export const FULL_SIZE: SimulationSize = { shards: 100, objects: 1_000_000, changes: 30 };
const VNODE_CHOICES = [32, 64, 128, 256, 512];
const GROUP_SIZES = [10, 100];

export function ringSimulation(
  size: SimulationSize = FULL_SIZE,
  log: (line: string) => void = () => {},
  timings: HandoverTimings = DEFAULT_HANDOVER_TIMINGS,
): ScenarioResult {
  const main = simulateRing({ ...size, vnodes: DEFAULT_VNODES, timings });
  log(`shard simulation: ${describe(main)}`);
  const table = new SampleTable();
  const kinds: readonly MembershipChangeKind[] = ["join", "leave", "crash"];
  for (const kind of kinds) {
    for (const change of main.changes.filter((c) => c.change.kind === kind)) {
      table.add(`${kind} (vnodes ${DEFAULT_VNODES})`, {
        moved: change.moved,
        ratio: change.movedFraction / change.idealFraction,
        stray: change.strayMoves,
        imbalance: change.imbalance,
        first: change.handover.firstMs / 1000,
        last: change.handover.lastMs / 1000,
      });
    }
  }
  // Balance and cost per virtual-node count: the start (100 shards) only, no changes.
  const balance = VNODE_CHOICES.map((vnodes) =>
    vnodes === DEFAULT_VNODES ? main : simulateRing({ ...size, changes: 0, vnodes }),
  );
  for (const report of balance) {
    table.add(`start, vnodes ${report.vnodes}`, { imbalance: report.initialImbalance });
  }
  // Keyed by owner root, a group of g objects is one key: the objects balance as N/g keys do.
  for (const group of GROUP_SIZES) {
    const grouped = simulateRing({ ...size, objects: Math.round(size.objects / group), changes: 0 });
    table.add(`start, ${group} objects an owner`, { imbalance: grouped.initialImbalance });
  }
  const t = timings;
  const measuredQ = t.patchesPerSecond !== DEFAULT_HANDOVER_TIMINGS.patchesPerSecond;
  const measuredW = t.watchDelayMs !== DEFAULT_HANDOVER_TIMINGS.watchDelayMs;
  return {
    id: "shard-simulation",
    title: `8. Ring simulation: ${size.shards} shards × ${size.objects.toLocaleString("en")} objects`,
    method:
      `src/shard/simulation.ts, no cluster: ${size.shards} shards and ${size.objects.toLocaleString("en")} synthetic uids on the ` +
      `consistent-hash ring (MurmurHash3, ${DEFAULT_VNODES} virtual nodes a shard), then ${size.changes} membership changes ` +
      "(join, graceful leave, crash in turn; the shard that goes drawn at random). Per change: objects whose owner changed, " +
      "that over the ideal 1/n, moves neither to the joiner nor from the leaver (stray, must be 0), busiest shard over the " +
      "mean afterwards, and the handover time model (docs/scaling.md) for the first and last moved object with " +
      `L = ${t.leaseDurationMs / 1000} s, R = ${t.renewPeriodMs / 1000} s, A = ${t.assignerPeriodMs / 1000} s, ` +
      `W = ${t.watchDelayMs.toFixed(1)} ms${measuredW ? " (measured: scenario 7's change → reconcile p50 less the callback's work)" : ""}, ` +
      `T = ${t.reconcileMs} ms, Q = ${t.patchesPerSecond.toFixed(0)} patches/s` +
      `${measuredQ ? " (measured: scenario 7's label patches at 20 in flight)" : ""}. ` +
      "Each cell is the median over that kind's changes with min–max. The `start` rows: imbalance of the first ring per " +
      "virtual-node count, and with objects keyed by an owner that has 10 or 100 of them (one key a group).",
    metrics: [
      { key: "moved", label: "objects moved", unit: "", better: "lower" },
      { key: "ratio", label: "moved / ideal 1/n", unit: "", better: "lower", digits: 2 },
      { key: "stray", label: "stray moves", unit: "", better: "lower" },
      { key: "imbalance", label: "max / mean", unit: "", better: "lower", digits: 3 },
      { key: "first", label: "first handed over", unit: "s", better: "lower", digits: 1 },
      { key: "last", label: "last handed over", unit: "s", better: "lower", digits: 1 },
    ],
    rows: table.rows(),
    distributions: [],
    notes: [
      `Worst imbalance over the start and all changes: ${main.worstImbalance.toFixed(3)}; moved over ideal: mean ` +
        `${main.movedOverIdeal.mean.toFixed(2)}, worst ${main.movedOverIdeal.max.toFixed(2)}; stray moves: ${main.strayMoves}.`,
      ...balance.map(
        (r) =>
          `vnodes ${r.vnodes}: ring ${(r.ringBytes / 1024).toFixed(0)} KiB, owner() ${r.lookupNs.toFixed(0)} ns` +
          (r === main ? `, rebuild after a change ${main.rebuildMs.toFixed(1)} ms (median)` : ""),
      ),
    ],
  };
}

function describe(report: SimulationReport): string {
  return (
    `worst imbalance ${report.worstImbalance.toFixed(3)}, moved/ideal mean ${report.movedOverIdeal.mean.toFixed(2)} ` +
    `max ${report.movedOverIdeal.max.toFixed(2)}, stray ${report.strayMoves}`
  );
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      shards: { type: "string", default: String(FULL_SIZE.shards) },
      objects: { type: "string", default: String(FULL_SIZE.objects) },
      changes: { type: "string", default: String(FULL_SIZE.changes) },
    },
  });
  const size = { shards: Number(values.shards), objects: Number(values.objects), changes: Number(values.changes) };
  const result = ringSimulation(size, (line) => process.stderr.write(`${line}\n`));
  // The report's scenario section alone (its header lines are the run's, not wanted here).
  const report = renderReport(
    {
      command: "",
      startedAt: "",
      minutes: 0,
      runs: 1,
      machine: [],
      versions: [],
      loadAverage: { before: [], after: [] },
    },
    [result],
    [],
  );
  process.stdout.write(report.slice(report.indexOf("## 8.")).replace("![latency distributions](latency.svg)\n", ""));
}
