import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { ApiClient } from "../k8s/index.ts";
import { ApiError, NotFoundError } from "../k8s/index.ts";
import { Log, type Logger } from "../telemetry/index.ts";
import type { Clock } from "../time/index.ts";
import type { UpdateFunction } from "./backend.ts";
import { StoreWriteError } from "./failures.ts";
import { MAX_VALUE_BYTES, SCHEDULE_PREFIX } from "./keys.ts";
import {
  dataDigests,
  digestSet,
  entryDigest,
  PEPR_STORE_NAMESPACE,
  type PeprStoreObject,
  peprSourceKeys,
  peprStoreKind,
  readPeprData,
} from "./pepr-layout.ts";

/** One PeprStore object and where its data goes in capstan's store. */
export interface PeprSource {
  /** The object's name: `pepr-<uuid>-store` or `pepr-<uuid>-schedule`. */
  readonly name: string;
  /** The capabilities whose keys it holds. */
  readonly capabilities: readonly string[];
  /** The capstan view a capability's keys go to: its name, or `schedule:<name>`. */
  readonly prefixOf: (capability: string) => string;
  /** Turns a Pepr value into the value capstan keeps (schedule records); undefined skips the key. */
  readonly convert?: (capability: string, key: string, value: string) => string | undefined;
}

/** What the import needs of the store: `ClusterStore` (tests may stand in). */
export interface PeprImportTarget {
  readonly clock: Clock;
  getEntry(entry: string): string | null;
  updateEntry(entry: string, fn: UpdateFunction): Promise<string | null>;
  snapshot(prefix: string): Record<string, string>;
  write(prefix: string, key: string, value: string | null): Promise<void>;
}

export type PeprReader = (name: string) => Promise<PeprStoreObject | undefined>;

/**
 * The record of what capstan has taken in from one PeprStore, kept in the shard tree under an
 * entry with no `/` (no capability's entry can take that name). `seen` holds digests of the
 * PeprStore entries taken in: the base of the next three-way merge.
 */
export interface ImportMarker {
  readonly state: "importing" | "done";
  readonly resourceVersion?: string;
  readonly seen?: string;
  readonly by?: string;
  readonly heartbeat?: string;
  readonly at?: string;
  readonly keys?: number;
  /** Keys the store refused: the import is tried again on the next start, even for the same version. */
  readonly refused?: number;
  readonly via?: "import" | "export";
}

export function importMarkerEntry(peprStoreName: string): string {
  return `pepr-import:${peprStoreName}`;
}

export function parseMarker(raw: string | null): ImportMarker | undefined {
  if (raw === null) return undefined;
  try {
    const marker = JSON.parse(raw) as ImportMarker;
    return marker.state === "importing" || marker.state === "done" ? marker : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A done marker for a PeprStore version; `taken` are the `data` entries capstan now holds (the base
 * of the next merge), left out when their digests would not fit in one value.
 */
export function doneMarker(
  object: PeprStoreObject,
  taken: Readonly<Record<string, string>>,
  by: string,
  at: number,
  via: "import" | "export",
): ImportMarker {
  const seen = dataDigests(taken);
  return {
    state: "done",
    resourceVersion: object.metadata?.resourceVersion,
    ...(seen.length < MAX_VALUE_BYTES - 1024 ? { seen } : {}),
    by,
    at: new Date(at).toISOString(),
    keys: Object.keys(taken).length,
    via,
  };
}

export interface PlannedWrite {
  readonly prefix: string;
  readonly key: string;
  readonly value: string | null;
  /** The Pepr `data` keys the value came from (v2 and legacy spelling). */
  readonly from: readonly string[];
}

/**
 * A three-way merge of a PeprStore into capstan's store, with `base` the digests of the PeprStore
 * entries taken in last time (empty on the first import):
 * - a Pepr key whose entry is in `base` has not changed in Pepr since: capstan's value stays;
 * - any other Pepr key was written in Pepr since (or never taken in): its value is written;
 * - a capstan key absent from the PeprStore whose value is in `base` was removed in Pepr: removed;
 *   one whose value is not was written by capstan since: it stays.
 */
export function planImport(
  source: PeprSource,
  data: Readonly<Record<string, unknown>> | undefined,
  base: ReadonlySet<string>,
  current: (prefix: string) => Readonly<Record<string, string>>,
): { writes: PlannedWrite[]; unclaimed: number; claimed: Readonly<Record<string, string>> } {
  const { byCapability, unclaimed, claimed } = readPeprData(data, source.capabilities);
  const writes: PlannedWrite[] = [];
  for (const capability of new Set(source.capabilities)) {
    const prefix = source.prefixOf(capability);
    const ours = current(prefix);
    const theirs = byCapability.get(capability) ?? new Map<string, string>();
    for (const [key, value] of theirs) {
      const from = peprSourceKeys(capability, key);
      if (from.some((dataKey) => base.has(entryDigest(dataKey, value)))) continue;
      const next = source.convert ? source.convert(capability, key, value) : value;
      if (next !== undefined && ours[key] !== next) writes.push({ prefix, key, value: next, from });
    }
    for (const [key, value] of Object.entries(ours)) {
      if (theirs.has(key)) continue;
      const from = peprSourceKeys(capability, key);
      if (from.some((dataKey) => base.has(entryDigest(dataKey, value))))
        writes.push({ prefix, key, value: null, from });
    }
  }
  return { writes, unclaimed, claimed };
}

export interface ImportOutcome {
  readonly source: string;
  /** absent: no PeprStore; current: taken in before; imported: by this replica; by-other: another replica did it. */
  readonly outcome: "absent" | "current" | "imported" | "by-other";
  readonly written: number;
  readonly removed: number;
  /** Pepr keys of no capability of this module (left in the PeprStore). */
  readonly unclaimed: number;
  readonly ms: number;
}

export interface PeprImportOptions {
  readonly sources: readonly PeprSource[];
  readonly read: PeprReader;
  /** This replica's name in the marker. */
  readonly identity?: string;
  /** An import claim not refreshed for this long belongs to a replica that died (default 30 s). */
  readonly staleMs?: number;
  /** How often a replica waiting for another's import looks again (default 250 ms). */
  readonly pollMs?: number;
  readonly log?: Logger;
  /** Stops waiting for another replica's import (the store is closing). */
  readonly signal?: AbortSignal;
}

/** Reads PeprStore objects in their namespace; undefined when the object (or Pepr's CRD) does not exist. */
export function peprStoreReader(client: ApiClient, namespace: string): PeprReader {
  return async (name) => {
    try {
      return await client.request<PeprStoreObject>({
        path: `/apis/${peprStoreKind.apiVersion}/namespaces/${namespace}/${peprStoreKind.plural}/${name}`,
      });
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      if (error instanceof ApiError && error.status === 403) {
        throw new Error(
          `cannot read peprstore ${name} in ${namespace} (403): the module's Role needs get on pepr.dev peprstores there; rebuild and redeploy with capstan build`,
          { cause: error },
        );
      }
      throw error;
    }
  };
}

/**
 * Takes every PeprStore of `sources` into capstan's store, once per PeprStore version, with any
 * number of replicas starting at once: one replica claims the import in the marker (an atomic
 * `update`), the others wait for it to be done and take over a claim whose heartbeat stops. The
 * PeprStore itself is only read.
 */
export async function importPeprStores(target: PeprImportTarget, options: PeprImportOptions): Promise<ImportOutcome[]> {
  const outcomes: ImportOutcome[] = [];
  for (const source of options.sources) outcomes.push(await importOne(target, source, options));
  return outcomes;
}

async function importOne(
  target: PeprImportTarget,
  source: PeprSource,
  options: PeprImportOptions,
): Promise<ImportOutcome> {
  const { clock } = target;
  const started = clock.now();
  const identity = options.identity ?? `${hostname()}-${randomBytes(3).toString("hex")}`;
  const staleMs = options.staleMs ?? 30_000;
  const pollMs = options.pollMs ?? 250;
  const log = (options.log ?? Log).child({ component: "store", peprStore: source.name });
  const entry = importMarkerEntry(source.name);
  const outcome = (kind: ImportOutcome["outcome"], written = 0, removed = 0, unclaimed = 0): ImportOutcome => ({
    source: source.name,
    outcome: kind,
    written,
    removed,
    unclaimed,
    ms: clock.now() - started,
  });
  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
  let waited = false;
  for (;;) {
    options.signal?.throwIfAborted();
    const object = await options.read(source.name);
    if (!object) return outcome("absent");
    const version = object.metadata?.resourceVersion;
    const isCurrent = (marker: ImportMarker | undefined) =>
      marker?.state === "done" && marker.resourceVersion === version && !marker.refused;
    if (isCurrent(parseMarker(target.getEntry(entry)))) return outcome(waited ? "by-other" : "current");

    const written = parseMarker(
      await target.updateEntry(entry, (raw) => {
        const marker = parseMarker(raw);
        if (isCurrent(marker)) return raw;
        const now = clock.now();
        const busy =
          marker?.state === "importing" && marker.by !== identity && now - Date.parse(marker.heartbeat ?? "") < staleMs;
        if (busy) return raw;
        const claim: ImportMarker = {
          ...marker,
          state: "importing",
          by: identity,
          heartbeat: new Date(now).toISOString(),
        };
        return JSON.stringify(claim);
      }),
    );
    if (isCurrent(written)) return outcome("by-other");
    if (written?.state !== "importing" || written.by !== identity) {
      // Another replica is importing: wait for its marker (the watch brings it), then look again.
      waited = true;
      while (!isDoneOrStale(parseMarker(target.getEntry(entry)), identity, clock.now(), staleMs)) {
        options.signal?.throwIfAborted();
        await sleep(pollMs);
      }
      continue;
    }

    const heartbeat = keepClaim(target, entry, identity, staleMs / 3);
    try {
      const { writes, unclaimed, claimed } = planImport(source, object.data, digestSet(written.seen), (prefix) =>
        target.snapshot(prefix),
      );
      const taken = { ...claimed };
      const refused = await writeAll(target, writes, (write, error) => {
        // Left out of the base, so the next start tries the key again.
        for (const dataKey of write.from) delete taken[dataKey];
        log.error(
          { key: `${write.prefix}/${write.key}`, err: error },
          "the store refused a PeprStore key; it stays in the PeprStore",
        );
      });
      await target.updateEntry(entry, () =>
        JSON.stringify({
          ...doneMarker(object, taken, identity, clock.now(), "import"),
          ...(refused ? { refused } : {}),
        }),
      );
      const removed = writes.filter((write) => write.value === null).length;
      const result = outcome("imported", writes.length - removed - refused, removed, unclaimed);
      log.info(
        { written: result.written, removed, refused, unclaimed, resourceVersion: version, ms: result.ms },
        "PeprStore data taken into the store",
      );
      return result;
    } finally {
      heartbeat.stop();
    }
  }
}

/** Sends every write and waits for all; a write the server refuses for good is reported, not thrown. Returns how many were refused. */
async function writeAll(
  target: PeprImportTarget,
  writes: readonly PlannedWrite[],
  onRefused: (write: PlannedWrite, error: StoreWriteError) => void,
): Promise<number> {
  let refused = 0;
  await Promise.all(
    writes.map((write) =>
      target.write(write.prefix, write.key, write.value).catch((error: unknown) => {
        if (!(error instanceof StoreWriteError)) throw error;
        refused++;
        onRefused(write, error);
      }),
    ),
  );
  return refused;
}

function isDoneOrStale(marker: ImportMarker | undefined, identity: string, now: number, staleMs: number): boolean {
  if (!marker || marker.state === "done") return true;
  return marker.by === identity || now - Date.parse(marker.heartbeat ?? "") >= staleMs;
}

/** Refreshes this replica's claim while it imports, so others do not take it over. */
function keepClaim(target: PeprImportTarget, entry: string, identity: string, everyMs: number): { stop(): void } {
  let stopped = false;
  let timer: ReturnType<Clock["setTimeout"]> | undefined;
  const beat = () => {
    timer = target.clock.setTimeout(() => {
      void target
        .updateEntry(entry, (raw) => {
          const marker = parseMarker(raw);
          if (stopped || marker?.state !== "importing" || marker.by !== identity) return raw;
          return JSON.stringify({ ...marker, heartbeat: new Date(target.clock.now()).toISOString() });
        })
        .catch(() => {});
      if (!stopped) beat();
    }, everyMs);
  };
  beat();
  return {
    stop() {
      stopped = true;
      if (timer) target.clock.clearTimeout(timer);
    },
  };
}

export interface PeprImportStepOptions {
  readonly client: ApiClient;
  /** The PeprStore names: `pepr-<uuid>-store` and `pepr-<uuid>-schedule`. */
  readonly storeName: string;
  readonly scheduleName: string;
  /** Where Pepr keeps them: the module's namespace, `pepr-system` by default in Pepr mode (Pepr 1.1.4 uses no other). */
  readonly peprNamespace?: string;
  readonly capabilities: readonly { readonly name: string; readonly schedules: readonly unknown[] }[];
  /** Pepr's schedule record to capstan's schedule state (src/schedule/state.ts). */
  readonly convertSchedule: NonNullable<PeprSource["convert"]>;
}

/** The `beforeReady` step of a Pepr-mode module's store: imports its PeprStores (see `importPeprStores`). */
export function peprImportStep(
  options: PeprImportStepOptions,
): (store: PeprImportTarget, signal?: AbortSignal) => Promise<void> {
  const sources: PeprSource[] = [
    { name: options.storeName, capabilities: options.capabilities.map((c) => c.name), prefixOf: (name) => name },
    {
      name: options.scheduleName,
      capabilities: options.capabilities.filter((c) => c.schedules.length > 0).map((c) => c.name),
      prefixOf: (name) => `${SCHEDULE_PREFIX}${name}`,
      convert: options.convertSchedule,
    },
  ];
  const read = peprStoreReader(options.client, options.peprNamespace ?? PEPR_STORE_NAMESPACE);
  // One identity across retries: a retry resumes this replica's own claim instead of waiting it out.
  const identity = `${hostname()}-${randomBytes(3).toString("hex")}`;
  return async (store, signal) => {
    await importPeprStores(store, {
      sources: sources.filter((s) => s.capabilities.length > 0),
      read,
      identity,
      signal,
    });
  };
}
