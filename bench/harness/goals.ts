// The goals of issues #8, #15, #16, #17 and #19, checked against what this run measured (never edited by hand).
import { bareNames } from "../engines/bare.ts";
import { BARE_WATCH } from "../engines/bare-watch.ts";
import { AUDIT_TARGETS } from "../scenarios/audit.ts";
import { CEL_TARGETS } from "../scenarios/cel.ts";
import type { GoalCheck } from "./report.ts";
import type { ScenarioResult } from "./results.ts";
import { median } from "./stats.ts";

type Lookup = (scenario: string, target: string, metric: string) => number | undefined;

export function checkGoals(results: readonly ScenarioResult[]): GoalCheck[] {
  const get: Lookup = (scenario, target, metric) => {
    const values = results.find((r) => r.id === scenario)?.rows.find((r) => r.target === target)?.samples[metric];
    return values && values.length > 0 ? median(values) : undefined;
  };
  const ratio = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined ? a / b : undefined;
  const fixed = (value: number | undefined, digits = 2) => (value === undefined ? "–" : value.toFixed(digits));
  const check = (
    goal: string,
    value: number | undefined,
    measured: string,
    pass: (v: number) => boolean,
  ): GoalCheck => ({
    goal,
    measured: value === undefined ? "not measured" : measured,
    met: value === undefined ? undefined : pass(value),
  });

  const mutateRps = ratio(get("webhook-alone", "capstan /mutate", "rps"), get("webhook-alone", "pepr /mutate", "rps"));
  const mutateP99 = ratio(get("webhook-alone", "capstan /mutate", "p99"), get("webhook-alone", "pepr /mutate", "p99"));
  const barePatch = ratio(
    get("webhook-alone", "capstan /mutate", "rps"),
    get("webhook-alone", "bare node:https, clone + label + diff", "rps"),
  );
  const throughput = ratio(
    get("through-api-server", "capstan", "rate"),
    get("through-api-server", "no webhook", "rate"),
  );
  const throughBare = (metric: string) =>
    ratio(get("through-api-server", "capstan", metric), get("through-api-server", bareNames["bare-patch"], metric));
  const throughModerate = throughBare("rate");
  const throughSaturated = throughBare("rateSaturated");
  const bareAllow = ratio(
    get("webhook-alone", "capstan /mutate", "rps"),
    get("webhook-alone", bareNames["bare-allow"], "rps"),
  );
  const watchRatio = (metric: string) => ratio(get("watch", "capstan", metric), get("watch", "pepr", metric));
  const floorRatio = (metric: string) => ratio(get("watch", BARE_WATCH, metric), get("watch", "pepr", metric));
  const floor = (metric: string) => {
    const value = floorRatio(metric);
    return value === undefined ? "" : `; the bare watcher (floor): ${fixed(value)}× Pepr's`;
  };
  const watchP50 = watchRatio("p50");
  const watchP99 = watchRatio("p99");
  const watchRate = watchRatio("rate");
  const storeP99 = get("store", "capstan", "p99");
  const storeBurstP99 = get("store", "capstan", "burstP99");
  const lost = get("store", "capstan", "lost");
  const perObject = ratio(get("watch", "capstan", "perObject5"), get("watch", "pepr", "perObject5"));
  const celRatio = ratio(get("cel", CEL_TARGETS.cel, "rate"), get("cel", CEL_TARGETS.none, "rate"));
  const rss = ratio(get("webhook-alone", "capstan /mutate", "rss"), get("webhook-alone", "pepr /mutate", "rss"));
  const auditMemory = ratio(get("audit", AUDIT_TARGETS.on, "rss"), get("audit", AUDIT_TARGETS.off, "rss"));
  const auditHeap = ratio(get("audit", AUDIT_TARGETS.on, "heap"), get("audit", AUDIT_TARGETS.off, "heap"));
  return [
    ...baselineGoals(results, get, check, fixed),
    check("mutate req/s ≥ 5× Pepr's", mutateRps, `${fixed(mutateRps)}×`, (v) => v >= 5),
    check("mutate p99 ≤ 1/4 of Pepr's", mutateP99, `${fixed(mutateP99)}× Pepr's`, (v) => v <= 0.25),
    check("mutate req/s ≥ the bare clone + label + diff server", barePatch, `${fixed(barePatch)}×`, (v) => v >= 1),
    check(
      "creates/s through the API server ≥ 90% of no webhook",
      throughput,
      `${fixed((throughput ?? 0) * 100, 0)}%`,
      (v) => v >= 0.9,
    ),
    check(
      "creates/s through the API server ≥ 0.95× the bare clone + label + diff server (4 in flight)",
      throughModerate,
      `${fixed(throughModerate)}×`,
      (v) => v >= 0.95,
    ),
    check(
      "creates/s through the API server ≥ 0.95× the bare clone + label + diff server (16 in flight)",
      throughSaturated,
      `${fixed(throughSaturated)}×`,
      (v) => v >= 0.95,
    ),
    check("mutate req/s ≥ 0.8× the bare fixed-allow server", bareAllow, `${fixed(bareAllow)}×`, (v) => v >= 0.8),
    check("Watch burst p50 ≤ 0.5× Pepr's", watchP50, `${fixed(watchP50)}× Pepr's${floor("p50")}`, (v) => v <= 0.5),
    check("Watch burst p99 ≤ 0.5× Pepr's", watchP99, `${fixed(watchP99)}× Pepr's${floor("p99")}`, (v) => v <= 0.5),
    check(
      "Watch burst events/s ≥ 1.5× Pepr's",
      watchRate,
      `${fixed(watchRate)}× Pepr's${floor("rate")}`,
      (v) => v >= 1.5,
    ),
    check("CEL policy ≥ 0.9× no policy (creates/s, 4 in flight)", celRatio, `${fixed(celRatio)}×`, (v) => v >= 0.9),
    check(
      "audit memory ≤ 1.2× the same module without audit (10,000 objects, 5 rules): RSS at rest",
      auditMemory,
      `${fixed(auditMemory)}×`,
      (v) => v <= 1.2,
    ),
    check(
      "audit memory ≤ 1.2× the same module without audit (10,000 objects, 5 rules): heap after GC",
      auditHeap,
      `${fixed(auditHeap)}×`,
      (v) => v <= 1.2,
    ),
    check("store visibility p99 < 500 ms (paced writes)", storeP99, `${fixed(storeP99, 0)} ms`, (v) => v < 500),
    check(
      "store visibility p99 < 500 ms (1,000 keys at once)",
      storeBurstP99,
      `${fixed(storeBurstP99, 0)} ms`,
      (v) => v < 500,
    ),
    check("store loses no write (keys never visible on the reader)", lost, `${fixed(lost, 0)} keys`, (v) => v === 0),
    check(
      "memory per cached object with 5 bindings ≤ 1/2 of Pepr's",
      perObject,
      `${fixed(perObject)}× Pepr's`,
      (v) => v <= 0.5,
    ),
    check(
      "RSS under load ≤ 60% of Pepr's (admission server)",
      rss,
      `${fixed((rss ?? 0) * 100, 0)}% of Pepr's`,
      (v) => v <= 0.6,
    ),
  ];
}

const BASELINE_PREFIX = "capstan@";

/**
 * When a run includes another checkout (`--engines capstan,capstan@<dir>`, e.g. the commit before a
 * change): this build's webhook req/s against it. Within noise = this build's median is at least the
 * lowest run of the baseline (issue #19: tracing, off, costs nothing measurable).
 */
function baselineGoals(
  results: readonly ScenarioResult[],
  get: Lookup,
  check: (goal: string, value: number | undefined, measured: string, pass: (v: number) => boolean) => GoalCheck,
  fixed: (value: number | undefined, digits?: number) => string,
): GoalCheck[] {
  const rows = results.find((r) => r.id === "webhook-alone")?.rows ?? [];
  return rows
    .filter((row) => row.target.startsWith(BASELINE_PREFIX))
    .map((row) => {
      const route = row.target.slice(row.target.indexOf(" "));
      const baseline = row.target.slice(0, row.target.indexOf(" "));
      const lowest = Math.min(...(row.samples.rps ?? []));
      const mine = get("webhook-alone", `capstan${route}`, "rps");
      const theirs = get("webhook-alone", row.target, "rps");
      const value = mine !== undefined && theirs !== undefined ? mine / theirs : undefined;
      return check(
        `${route.trim()} req/s within noise of ${baseline} (≥ its slowest run)`,
        value,
        `${fixed(value)}× its median (${fixed(mine, 0)} vs ${fixed(theirs, 0)}; its slowest ${fixed(lowest, 0)})`,
        () => mine !== undefined && mine >= lowest,
      );
    });
}
