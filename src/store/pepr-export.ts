import type { ApiClient } from "../k8s/index.ts";
import { ConflictError } from "../k8s/index.ts";
import { ClusterStore } from "./cluster-store.ts";
import { applyCrd } from "./install.ts";
import { SCHEDULE_PREFIX, splitDataKey } from "./keys.ts";
import { doneMarker, importMarkerEntry, parseMarker, peprStoreReader } from "./pepr-import.ts";
import {
  digestSet,
  entryDigest,
  PEPR_CACHE_LABEL,
  PEPR_PLACEHOLDER,
  PEPR_STORE_NAMESPACE,
  type PeprStoreObject,
  peprDataKey,
  peprStoreCrd,
  peprStoreKind,
} from "./pepr-layout.ts";

/** Pepr keeps a module's Store in one object; past ~1 MiB its patches start failing (etcd takes 1.5 MiB per object). */
export const PEPR_MAX_BYTES = 1024 * 1024;

export interface PeprExportOptions {
  readonly client: ApiClient;
  /** Where capstan's shards live (the module's namespace). */
  readonly namespace: string;
  /** The store's name: `pepr-<uuid>-store`, also the PeprStore written. */
  readonly storeName: string;
  /** The PeprStore holding schedule records: `pepr-<uuid>-schedule`. */
  readonly scheduleName: string;
  /** Where Pepr reads its stores. Default `pepr-system`. */
  readonly peprNamespace?: string;
  /** A schedule's record for Pepr from capstan's state; undefined leaves the schedule to start afresh under Pepr. */
  readonly scheduleRecord?: (name: string, raw: string) => object | undefined;
  readonly maxBytes?: number;
}

export interface PeprExportResult {
  readonly keys: number;
  readonly bytes: number;
  readonly schedules: number;
  /** Schedule states Pepr cannot take (never ran, or no limit recorded): those start afresh. */
  readonly schedulesSkipped: number;
  readonly ms: number;
}

/** Thrown when the data cannot go back to Pepr as it is; the message says what to do. */
export class PeprExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PeprExportError";
  }
}

/**
 * Writes a Pepr-mode module's Store back into the PeprStore objects Pepr 1.1.4 reads
 * (`<capability>-v2-<key>`), for a rollback: run it after capstan's pods have stopped and before
 * Pepr's start. PeprStore keys capstan never took in are kept as they are. It records
 * what it wrote as the import base, so capstan taking over again imports only what Pepr changed.
 */
export async function exportToPepr(options: PeprExportOptions): Promise<PeprExportResult> {
  const started = Date.now();
  const peprNamespace = options.peprNamespace ?? PEPR_STORE_NAMESPACE;
  const store = new ClusterStore({
    client: options.client,
    namespace: options.namespace,
    name: options.storeName,
    createShardsAhead: false,
  });
  store.start();
  try {
    await store.whenReady();
    const data = new Map<string, Record<string, string>>([
      [options.storeName, {}],
      [options.scheduleName, {}],
    ]);
    const owners = new Map<string, Set<string>>([
      [options.storeName, new Set()],
      [options.scheduleName, new Set()],
    ]);
    let schedulesSkipped = 0;
    const entries = store.entries();
    if (entries.size === 0) {
      throw new PeprExportError(
        `capstan holds no Store ${options.storeName} in ${options.namespace}: check --uuid and --namespace`,
      );
    }
    for (const [entry, value] of entries) {
      const parts = splitDataKey(entry);
      if (!parts) continue;
      const isSchedule = parts.prefix.startsWith(SCHEDULE_PREFIX);
      const target = isSchedule ? options.scheduleName : options.storeName;
      const capability = isSchedule ? parts.prefix.slice(SCHEDULE_PREFIX.length) : parts.prefix;
      let stored = value;
      if (isSchedule) {
        const record = options.scheduleRecord?.(parts.key, value);
        if (!record) {
          schedulesSkipped++;
          continue;
        }
        stored = JSON.stringify(record);
      }
      owners.get(target)?.add(capability);
      (data.get(target) as Record<string, string>)[peprDataKey(capability, parts.key)] = stored;
    }
    await installPeprStoreCrd(options.client);
    const read = peprStoreReader(options.client, peprNamespace);
    let bytes = 0;
    for (const [name, ours] of data) {
      if (name === options.scheduleName && Object.keys(ours).length === 0) continue;
      const keep = keepRule(store.getEntry(importMarkerEntry(name)), [...(owners.get(name) ?? [])]);
      const written = await writePeprStore(options.client, peprNamespace, name, ours, keep, read, options.maxBytes);
      if (name === options.storeName) bytes = written.bytes;
      await store.updateEntry(importMarkerEntry(name), () =>
        JSON.stringify(doneMarker(written.object, ours, "capstan-export", Date.now(), "export")),
      );
    }
    await store.flushed();
    return {
      keys: Object.keys(data.get(options.storeName) ?? {}).length,
      bytes,
      schedules: Object.keys(data.get(options.scheduleName) ?? {}).length,
      schedulesSkipped,
      ms: Date.now() - started,
    };
  } finally {
    await store.close({ timeoutMs: 10_000 });
  }
}

/** Installs Pepr's CRD as Pepr's controller does at start (server-side apply, forced, as `pepr`). */
export async function installPeprStoreCrd(client: ApiClient): Promise<void> {
  try {
    await applyCrd(client, peprStoreCrd, { fieldManager: "pepr" });
  } catch (error) {
    throw new PeprExportError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * Which of the PeprStore's present keys that capstan does not hold stay. With the import marker's
 * base: those capstan never took in (another capability's, or written by Pepr after the import);
 * one that capstan took in and no longer holds was removed (or, a legacy key, moved to v2) under
 * capstan and goes. Without a base: the keys of capabilities capstan holds nothing for.
 */
function keepRule(marker: string | null, capabilities: readonly string[]): (key: string, value: string) => boolean {
  const recorded = parseMarker(marker);
  if (recorded?.seen !== undefined) {
    const base = digestSet(recorded.seen);
    return (key, value) => !base.has(entryDigest(key, value));
  }
  return (key) => !capabilities.some((capability) => key.startsWith(`${capability}-`));
}

/** Replaces a PeprStore's data with ours and the present keys `keep` keeps. */
async function writePeprStore(
  client: ApiClient,
  namespace: string,
  name: string,
  ours: Readonly<Record<string, string>>,
  keep: (key: string, value: string) => boolean,
  read: (name: string) => Promise<PeprStoreObject | undefined>,
  maxBytes = PEPR_MAX_BYTES,
): Promise<{ object: PeprStoreObject; bytes: number }> {
  const collection = `/apis/${peprStoreKind.apiVersion}/namespaces/${namespace}/${peprStoreKind.plural}`;
  for (let attempt = 1; ; attempt++) {
    const existing = await read(name);
    const data: Record<string, string> = { [PEPR_PLACEHOLDER.key]: PEPR_PLACEHOLDER.value };
    for (const [key, value] of Object.entries(existing?.data ?? {})) {
      if (typeof value === "string" && keep(key, value)) data[key] = value;
    }
    Object.assign(data, ours);
    const bytes = Buffer.byteLength(JSON.stringify(data), "utf8");
    if (bytes > maxBytes) {
      throw new PeprExportError(
        `the Store holds ${bytes} bytes in ${Object.keys(data).length} keys, more than Pepr's single PeprStore object takes (${maxBytes}); remove keys under capstan before rolling back`,
      );
    }
    const body: PeprStoreObject = {
      apiVersion: peprStoreKind.apiVersion,
      kind: peprStoreKind.kind,
      metadata: {
        name,
        namespace,
        labels: { ...existing?.metadata?.labels, [PEPR_CACHE_LABEL]: `${Date.now()}` },
        ...(existing ? { resourceVersion: existing.metadata?.resourceVersion } : {}),
      },
      data,
    };
    try {
      const object = existing
        ? await client.request<PeprStoreObject>({ method: "PUT", path: `${collection}/${name}`, body })
        : await client.request<PeprStoreObject>({ method: "POST", path: collection, body });
      return { object, bytes };
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= 5) throw error;
    }
  }
}
