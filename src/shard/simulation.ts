/**
 * The ring simulation of issue 18, without a cluster: `shards` replicas and `objects` objects, then a
 * sequence of joins, graceful leaves and crashes. After each membership change it counts the objects
 * whose owner changed (against the ideal 1/n), checks that every move goes to the joining shard or
 * from the leaving one, and measures the imbalance (the busiest shard over the mean). The handover
 * time of each change comes from `handoverTime` (the time model in docs/scaling.md).
 */
import { ASSIGNER_PERIOD_MS, SHARD_LEASE_DURATION_MS, SHARD_RENEW_PERIOD_MS } from "./constants.ts";
import { DEFAULT_VNODES, HashRing } from "./ring.ts";
import { syntheticUids, xorshift128 } from "./synthetic-uids.ts";

export type MembershipChangeKind = "join" | "leave" | "crash";

export interface MembershipChange {
  readonly kind: MembershipChangeKind;
  readonly shard: string;
}

/** The inputs of the handover time model, all in milliseconds except the write rate. */
export interface HandoverTimings {
  /** L: a shard Lease not renewed for this long is expired (the shard is dead). */
  readonly leaseDurationMs: number;
  /** R: how often a live shard renews its Lease. */
  readonly renewPeriodMs: number;
  /** A: the longest the assigner takes to act on a membership change (its period, or its watch's delay). */
  readonly assignerPeriodMs: number;
  /** T: one reconcile of one object (the old owner's in-flight one, then the new owner's first one). */
  readonly reconcileMs: number;
  /** W: from a write to the API server to the watch event at a replica. */
  readonly watchDelayMs: number;
  /** Q: label and annotation patches per second the assigner and the draining owners achieve together. */
  readonly patchesPerSecond: number;
}

/**
 * The model's defaults. L, R: the shard Lease as the controller's leader election sets its Lease
 * (15 s, renewed every 2 s). A, T, W, Q: assumptions of the model, replaced by measured figures where
 * docs/scaling.md says so.
 */
export const DEFAULT_HANDOVER_TIMINGS: HandoverTimings = {
  leaseDurationMs: SHARD_LEASE_DURATION_MS,
  renewPeriodMs: SHARD_RENEW_PERIOD_MS,
  assignerPeriodMs: ASSIGNER_PERIOD_MS,
  reconcileMs: 50,
  watchDelayMs: 50,
  patchesPerSecond: 500,
};

export interface HandoverTime {
  /** When the first moved object is reconciled by its new owner, after the change happened. */
  readonly firstMs: number;
  /** When the last moved object is. */
  readonly lastMs: number;
}

/**
 * How long after a membership change the moved objects are reconciled by their new owners.
 *
 * - join, leave (the leaving replica drains before it exits): the assigner sees the change (≤ A),
 *   annotates each moved object (`drain-to`), the old owner sees it (W), lets an in-flight reconcile end
 *   (≤ T) and flips the label, the new owner sees the object (W) and reconciles it (T). Two writes per
 *   object at Q per second: last = A + 2M/Q + 2W + 2T.
 * - crash: the Lease expires at most L after the crash (L − R at best: the last renew was up to R
 *   before it), the assigner sees the expiry (≤ A) and flips each label at once (no drain: the owner is
 *   dead), then W and T: last = L + A + M/Q + W + T.
 */
export function handoverTime(
  kind: MembershipChangeKind,
  moved: number,
  timings: HandoverTimings = DEFAULT_HANDOVER_TIMINGS,
): HandoverTime {
  const { leaseDurationMs: l, renewPeriodMs: r, assignerPeriodMs: a, reconcileMs: t, watchDelayMs: w } = timings;
  const writeMs = (writes: number): number => (writes / timings.patchesPerSecond) * 1000;
  if (moved === 0) return { firstMs: 0, lastMs: 0 };
  if (kind === "crash") {
    return { firstMs: l - r + writeMs(1) + w + t, lastMs: l + a + writeMs(moved) + w + t };
  }
  return { firstMs: writeMs(2) + 2 * w + t, lastMs: a + writeMs(2 * moved) + 2 * w + 2 * t };
}

export interface SimulationOptions {
  readonly shards: number;
  readonly objects: number;
  /** Membership changes after the start, cycling join, leave, crash (the shard that goes is drawn at random). */
  readonly changes: number;
  readonly vnodes?: number;
  readonly seed?: number;
  readonly timings?: HandoverTimings;
}

export interface ChangeReport {
  readonly change: MembershipChange;
  /** Live shards after the change. */
  readonly members: number;
  readonly moved: number;
  readonly movedFraction: number;
  /** 1/n: a join to n shards takes 1/n of the objects; a leave from n shards gives away 1/n. */
  readonly idealFraction: number;
  /** Moves that neither went to the joining shard nor came from the leaving one (must be 0). */
  readonly strayMoves: number;
  /** Busiest shard's objects over the mean, after the change. */
  readonly imbalance: number;
  readonly handover: HandoverTime;
}

export interface SimulationReport {
  readonly shards: number;
  readonly objects: number;
  readonly vnodes: number;
  readonly initialImbalance: number;
  readonly changes: readonly ChangeReport[];
  /** Over all changes: moved fraction over the ideal 1/n (mean and worst). */
  readonly movedOverIdeal: { readonly mean: number; readonly max: number };
  readonly meanMoved: number;
  readonly worstImbalance: number;
  readonly strayMoves: number;
  readonly worstHandoverMs: Readonly<Record<MembershipChangeKind, number>>;
  /** Time to rebuild the ring after one change (median), and the starting ring's size in bytes. */
  readonly rebuildMs: number;
  readonly ringBytes: number;
  /** Mean time of one owner() lookup. */
  readonly lookupNs: number;
}

export function simulateRing(options: SimulationOptions): SimulationReport {
  const vnodes = options.vnodes ?? DEFAULT_VNODES;
  const timings = options.timings ?? DEFAULT_HANDOVER_TIMINGS;
  if (!Number.isInteger(options.shards) || options.shards < 1) {
    throw new RangeError(`simulateRing: shards must be a whole number ≥ 1, got ${options.shards}`);
  }
  if (!Number.isInteger(options.objects) || options.objects < 1) {
    throw new RangeError(`simulateRing: objects must be a whole number ≥ 1, got ${options.objects}`);
  }
  const random = xorshift128(options.seed ?? 1);
  const keys = syntheticUids(options.objects, options.seed ?? 1);
  const ring = new HashRing({ vnodes });
  // Shard names get a number for life; owners are stored as those numbers.
  const names: string[] = [];
  const numberOf = new Map<string, number>();
  const join = (): string => {
    const name = `shard-${names.length}`;
    numberOf.set(name, names.length);
    names.push(name);
    ring.add(name);
    return name;
  };
  for (let i = 0; i < options.shards; i++) join();

  let owners = new Uint32Array(keys.length);
  assign(ring, keys, numberOf, owners);
  const lookupNs = timeLookups(ring, keys);
  const initialImbalance = imbalanceOf(owners, ring.size, names.length);
  // Two Uint32Arrays of shards × vnodes entries.
  const ringBytes = ring.size * vnodes * 8;

  const kinds: readonly MembershipChangeKind[] = ["join", "leave", "crash"];
  const reports: ChangeReport[] = [];
  const rebuilds: number[] = [];
  for (let c = 0; c < options.changes; c++) {
    const kind = kinds[c % kinds.length] ?? "join";
    if (kind !== "join" && ring.size <= 1) continue;
    const before = ring.size;
    const rebuildStart = performance.now();
    let shard: string;
    if (kind === "join") shard = join();
    else {
      const members = ring.members();
      shard = members[random() % members.length] ?? "";
      ring.remove(shard);
    }
    rebuilds.push(performance.now() - rebuildStart);
    const next = new Uint32Array(keys.length);
    assign(ring, keys, numberOf, next);
    const changed = numberOf.get(shard) ?? -1;
    let moved = 0;
    let stray = 0;
    for (let i = 0; i < keys.length; i++) {
      if (owners[i] === next[i]) continue;
      moved++;
      if ((kind === "join" ? next[i] : owners[i]) !== changed) stray++;
    }
    owners = next;
    reports.push({
      change: { kind, shard },
      members: ring.size,
      moved,
      movedFraction: moved / keys.length,
      idealFraction: 1 / (kind === "join" ? ring.size : before),
      strayMoves: stray,
      imbalance: imbalanceOf(owners, ring.size, names.length),
      handover: handoverTime(kind, moved, timings),
    });
  }

  const ratios = reports.map((r) => r.movedFraction / r.idealFraction);
  const worstHandover = (kind: MembershipChangeKind): number =>
    Math.max(0, ...reports.filter((r) => r.change.kind === kind).map((r) => r.handover.lastMs));
  rebuilds.sort((a, b) => a - b);
  return {
    shards: options.shards,
    objects: options.objects,
    vnodes,
    initialImbalance,
    changes: reports,
    movedOverIdeal: {
      mean: ratios.reduce((sum, r) => sum + r, 0) / Math.max(1, ratios.length),
      max: Math.max(0, ...ratios),
    },
    meanMoved: reports.reduce((sum, r) => sum + r.moved, 0) / Math.max(1, reports.length),
    worstImbalance: Math.max(initialImbalance, ...reports.map((r) => r.imbalance)),
    strayMoves: reports.reduce((sum, r) => sum + r.strayMoves, 0),
    worstHandoverMs: { join: worstHandover("join"), leave: worstHandover("leave"), crash: worstHandover("crash") },
    rebuildMs: rebuilds[rebuilds.length >> 1] ?? 0,
    ringBytes,
    lookupNs,
  };
}

function assign(ring: HashRing, keys: readonly string[], numberOf: Map<string, number>, into: Uint32Array): void {
  keys.forEach((key, i) => {
    into[i] = numberOf.get(ring.owner(key) ?? "") ?? 0;
  });
}

function imbalanceOf(owners: Uint32Array, live: number, named: number): number {
  const counts = new Uint32Array(named);
  for (const owner of owners) counts[owner] = (counts[owner] ?? 0) + 1;
  let max = 0;
  for (const count of counts) max = Math.max(max, count);
  return max / (owners.length / live);
}

/** Mean ns of one owner() call over up to 200,000 keys, after the first assignment warmed it up. */
function timeLookups(ring: HashRing, keys: readonly string[]): number {
  const sample = keys.slice(0, 200_000);
  let found = 0;
  const start = performance.now();
  for (const key of sample) if (ring.owner(key) !== undefined) found++;
  return ((performance.now() - start) * 1e6) / Math.max(1, found);
}
