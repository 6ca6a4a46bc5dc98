import { describe, expect, it } from "vitest";
import { mergeShardSamples, parseShardMetrics, renderRing } from "../../../src/cli/monitor/ring.ts";

const replicaA = `# HELP capstan_shard_objects_owned Objects labelled for the shard.
# TYPE capstan_shard_objects_owned gauge
capstan_shard_objects_owned{shard="replica-a"} 2013
capstan_shard_queue_depth{shard="replica-a"} 4
capstan_shard_moves_total{shard="replica-a"} 17
capstan_informer_events_total{kind="ConfigMap"} 99
process_cpu_seconds_total 1.5
`;
// The assigner's replica reports every shard's objects.
const replicaB = `capstan_shard_objects_owned{module="m",shard="replica-a"} 2010
capstan_shard_objects_owned{shard="replica-b"} 1990
capstan_shard_objects_owned{shard="replica-c"} 1997
capstan_shard_queue_depth{shard="replica-b"} 0
capstan_shard_moves_total{shard="replica-b"} 3
capstan_shard_moves_total{shard="replica-b"} NaN-ish
`;

describe("capstan monitor --ring", () => {
  it("reads the shard metrics of a /metrics text and skips everything else", () => {
    expect(parseShardMetrics(replicaA)).toEqual([{ shard: "replica-a", owned: 2013, queueDepth: 4, moves: 17 }]);
    expect(parseShardMetrics('capstan_shard_objects_owned{shard="a\\"b"} 1\n')).toEqual([{ shard: 'a"b', owned: 1 }]);
    expect(parseShardMetrics("capstan_shard_objects_owned 5\ngarbage{\n")).toEqual([]);
  });

  it("merges replicas' reports of one shard, the larger figure winning", () => {
    const merged = mergeShardSamples([...parseShardMetrics(replicaA), ...parseShardMetrics(replicaB)]);
    expect(merged.get("replica-a")).toEqual({ shard: "replica-a", owned: 2013, queueDepth: 4, moves: 17 });
    expect(merged.get("replica-b")).toEqual({ shard: "replica-b", owned: 1990, queueDepth: 0, moves: 3 });
    expect(merged.get("replica-c")).toEqual({ shard: "replica-c", owned: 1997 });
  });

  it("draws members, objects, shares, queues and moves since the last refresh, live shards first", () => {
    const now = Date.parse("2026-12-05T12:00:30Z");
    const text = renderRing({
      now,
      members: [
        { shard: "replica-c", renewedAt: now - 40_000, durationSeconds: 15 },
        { shard: "replica-b", renewedAt: now - 1_000, durationSeconds: 15 },
        { shard: "replica-a", renewedAt: now - 2_400, durationSeconds: 15 },
      ],
      samples: mergeShardSamples([...parseShardMetrics(replicaA), ...parseShardMetrics(replicaB)]),
      previousMoves: new Map([["replica-a", 10]]),
      unreachable: ["pod m-controller-2: 503 Service Unavailable"],
    });
    expect(text).toBe(
      [
        "ring: 2 live shards (1 not live), 6,000 objects owned, at 12:00:30 UTC",
        "shard      lease             objects   share  queue  moves (+since last)",
        "replica-a  renewed 2 s ago     2,013  33.6 %      4              17 (+7)",
        "replica-b  renewed 1 s ago     1,990  33.2 %      0                    3",
        "replica-c  expired 40 s ago    1,997  33.3 %      –                    –",
        "metrics not read: pod m-controller-2: 503 Service Unavailable",
        "",
      ].join("\n"),
    );
  });

  it("says what to check when there is no ring at all", () => {
    const text = renderRing({ now: 0, members: [], samples: new Map() });
    expect(text).toContain("ring: 0 live shards, 0 objects owned");
    expect(text).toContain("is sharding on (controller.shards)?");
  });

  it("shows a shard with metrics but no Lease, and a Lease never renewed", () => {
    const text = renderRing({
      now: 1_000_000,
      members: [{ shard: "new", durationSeconds: 15 }],
      samples: new Map([["gone", { shard: "gone", owned: 5 }]]),
    });
    expect(text).toMatch(/^gone +no Lease +5 +100\.0 %/m);
    expect(text).toMatch(/^new +never renewed/m);
  });
});
