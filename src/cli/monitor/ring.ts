/**
 * `capstan monitor --ring`: the shard ring of a sharded controller (issue 18), from the shard Leases
 * (membership) and the controller replicas' /metrics (objects owned, queue depth, moves). This file
 * holds the pure parts: reading the metrics text, merging replicas' samples, drawing the table.
 */
import { promSamples } from "./prom-text.ts";

/** The shard metrics the controller replicas export (docs/scaling.md). */
export const ShardMetric = {
  owned: "capstan_shard_objects_owned",
  queueDepth: "capstan_shard_queue_depth",
  moves: "capstan_shard_moves_total",
} as const;

type ShardField = keyof typeof ShardMetric;

/** One shard's figures as one replica's /metrics reported them. */
export interface ShardSample {
  readonly shard: string;
  readonly owned?: number;
  readonly queueDepth?: number;
  readonly moves?: number;
}

const fieldOf = new Map<string, ShardField>(
  Object.entries(ShardMetric).map(([field, name]) => [name, field as ShardField]),
);

/** The shard samples in a Prometheus text exposition (lines of the metrics above with a `shard` label). */
export function parseShardMetrics(text: string): ShardSample[] {
  const byShard = new Map<string, { -readonly [K in ShardField]?: number }>();
  for (const { name, labels, value } of promSamples(text, new Set(fieldOf.keys()))) {
    const field = fieldOf.get(name);
    const shard = labels.shard;
    if (!field || shard === undefined) continue;
    const sample = byShard.get(shard) ?? {};
    sample[field] = (sample[field] ?? 0) + value;
    byShard.set(shard, sample);
  }
  return [...byShard].map(([shard, fields]) => ({ shard, ...fields }));
}

/**
 * Several replicas may report one shard (its owner, and the assigner for every shard): the largest
 * value of each figure wins, the figures being counts that only the better-informed replica has higher.
 */
export function mergeShardSamples(samples: readonly ShardSample[]): Map<string, ShardSample> {
  const merged = new Map<string, ShardSample>();
  for (const sample of samples) {
    const before = merged.get(sample.shard);
    merged.set(sample.shard, {
      shard: sample.shard,
      ...maxOf("owned", before, sample),
      ...maxOf("queueDepth", before, sample),
      ...maxOf("moves", before, sample),
    });
  }
  return merged;
}

function maxOf(field: ShardField, a: ShardSample | undefined, b: ShardSample): Partial<ShardSample> {
  const values = [a?.[field], b[field]].filter((v): v is number => v !== undefined);
  return values.length > 0 ? { [field]: Math.max(...values) } : {};
}

/** A shard Lease as monitor reads it. */
export interface ShardMember {
  readonly shard: string;
  /** When the Lease was last renewed (epoch ms), if ever. */
  readonly renewedAt?: number;
  readonly durationSeconds?: number;
}

export interface RingView {
  readonly members: readonly ShardMember[];
  readonly samples: ReadonlyMap<string, ShardSample>;
  /** Moves per shard at the previous refresh, for the "since" column. */
  readonly previousMoves?: ReadonlyMap<string, number>;
  /** Replicas whose metrics could not be read, with why. */
  readonly unreachable?: readonly string[];
  readonly now: number;
}

/** The ring as a table: one row per shard (Lease or metrics), live shards first. */
export function renderRing(view: RingView): string {
  const live = (m: ShardMember | undefined) =>
    m?.renewedAt !== undefined && m.durationSeconds !== undefined && view.now - m.renewedAt <= m.durationSeconds * 1000;
  const members = new Map(view.members.map((m) => [m.shard, m]));
  const shards = [...new Set([...members.keys(), ...view.samples.keys()])].sort((a, b) => {
    const byLive = Number(live(members.get(b))) - Number(live(members.get(a)));
    return byLive || (a < b ? -1 : a > b ? 1 : 0);
  });
  const liveCount = shards.filter((s) => live(members.get(s))).length;
  const total = [...view.samples.values()].reduce((sum, s) => sum + (s.owned ?? 0), 0);
  const count = (n: number | undefined) => (n === undefined ? "–" : n.toLocaleString("en"));
  const rows = shards.map((shard) => {
    const member = members.get(shard);
    const sample = view.samples.get(shard);
    const age =
      member?.renewedAt === undefined ? undefined : Math.max(0, Math.round((view.now - member.renewedAt) / 1000));
    const lease = !member
      ? "no Lease"
      : age === undefined
        ? "never renewed"
        : live(member)
          ? `renewed ${age} s ago`
          : `expired ${age} s ago`;
    const before = view.previousMoves?.get(shard);
    const moves =
      sample?.moves === undefined
        ? "–"
        : `${count(sample.moves)}${before === undefined ? "" : ` (+${count(sample.moves - before)})`}`;
    const share = sample?.owned === undefined || total === 0 ? "–" : `${((sample.owned / total) * 100).toFixed(1)} %`;
    return [shard, lease, count(sample?.owned), share, count(sample?.queueDepth), moves];
  });
  const header = ["shard", "lease", "objects", "share", "queue", "moves (+since last)"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 || i === 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  const expired = shards.length - liveCount;
  const title =
    `ring: ${liveCount} live shard${liveCount === 1 ? "" : "s"}` +
    (expired > 0 ? ` (${expired} not live)` : "") +
    `, ${count(total)} objects owned, at ${new Date(view.now).toISOString().slice(11, 19)} UTC`;
  const lines = [title, line(header), ...rows.map(line)];
  if (shards.length === 0) lines.push("no shard Lease and no shard metrics yet: is sharding on (controller.shards)?");
  for (const why of view.unreachable ?? []) lines.push(`metrics not read: ${why}`);
  return `${lines.join("\n")}\n`;
}
