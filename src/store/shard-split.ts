import { InvalidError } from "../k8s/index.ts";
import type { StoreShardObject } from "./crd.ts";
import { entryPath, type ShardLayout } from "./layout.ts";
import { type ShardApi, WHILE_OPEN } from "./shard-api.ts";

export type SplitResult =
  /**
   * The shard is split: `objects` are the states this process saw of its children and of it;
   * `marked` when this call completed the split (false when another replica had).
   */
  | { readonly outcome: "split"; readonly objects: readonly StoreShardObject[]; readonly marked: boolean }
  /** The shard is at the deepest level and cannot split. */
  | { readonly outcome: "deepest" }
  /** The shard does not exist. */
  | { readonly outcome: "missing" }
  /** The shard is open: nobody is splitting it. */
  | { readonly outcome: "open" };

function halves(
  parent: Readonly<Record<string, string>>,
  depth: number,
): [Record<string, string>, Record<string, string>] {
  const result: [Record<string, string>, Record<string, string>] = [{}, {}];
  for (const [entry, value] of Object.entries(parent)) result[entryPath(entry)[depth] === "1" ? 1 : 0][entry] = value;
  return result;
}

/**
 * Splits a full shard into its two children. Safe against any number of replicas writing it or
 * splitting it at the same time, and resumable by any replica if the one that began dies:
 *
 * 1. **seal**: the shard's `state` goes from `open` to `sealed`. Every write patch tests for
 *    `open`, so from here on writes fail (422) instead of landing, and the data is frozen;
 * 2. **copy**: each child is created holding its half of the frozen data. A child that already
 *    exists was created by another splitter from the same frozen data, so it is left as it is;
 * 3. **mark**: the shard's `state` goes from `sealed` to `split` and its data is dropped. It stays
 *    as a marker: readers and writers go on to its children, and nobody can create it again.
 *
 * Writers whose patch failed on a sealed shard finish the split themselves (steps 2 and 3).
 */
export async function splitShard(api: ShardApi, layout: ShardLayout, shard: string): Promise<SplitResult> {
  if (!layout.childrenOf(shard)) return { outcome: "deepest" };
  try {
    await api.patch(shard, [WHILE_OPEN, { op: "replace", path: "/state", value: "sealed" }]);
  } catch (error) {
    // Already sealed or split by another replica: finish what it began.
    if (!(error instanceof InvalidError)) throw error;
  }
  return finishSplit(api, layout, shard);
}

/** Steps 2 and 3 of `splitShard`, for a shard that is sealed (or already split: then nothing is left to do). */
export async function finishSplit(api: ShardApi, layout: ShardLayout, shard: string): Promise<SplitResult> {
  const children = layout.childrenOf(shard);
  const depth = layout.pathOf(shard)?.length;
  if (!children || depth === undefined) return { outcome: "deepest" };
  const parent = await api.read(shard);
  if (!parent) return { outcome: "missing" };
  if (parent.state === "split") {
    const states = await Promise.all(children.map((child) => api.read(child)));
    return { outcome: "split", objects: [...states.filter((s) => s !== undefined), parent], marked: false };
  }
  if (parent.state !== "sealed") return { outcome: "open" };
  const data = halves(parent.data ?? {}, depth);
  const states = await Promise.all(
    children.map(async (child, i) => (await api.create(child, data[i])) ?? (await api.read(child))),
  );
  let marked: StoreShardObject | undefined;
  let byUs = true;
  try {
    marked = await api.patch(shard, [
      { op: "test", path: "/state", value: "sealed" },
      { op: "replace", path: "/state", value: "split" },
      { op: "replace", path: "/data", value: {} },
    ]);
  } catch (error) {
    if (!(error instanceof InvalidError)) throw error;
    byUs = false;
    marked = await api.read(shard);
  }
  return {
    outcome: "split",
    objects: [...states.filter((s) => s !== undefined), ...(marked ? [marked] : [])],
    marked: byUs,
  };
}
