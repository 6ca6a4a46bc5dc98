import { createHash } from "node:crypto";
import type { KubernetesObject, ResolvedKind } from "../k8s/index.ts";

/**
 * Pepr 1.1.4's Store on the cluster, as facts (its src/lib/controller/store.ts, storeCache.ts,
 * migrateStore.ts, src/lib/core/storage.ts): one namespaced `PeprStore` object per module and
 * purpose, `pepr-<uuid>-store` and `pepr-<uuid>-schedule`, whose `data` maps
 * `<capability>-v2-<key>` to a string. Keys go into patches JSON-pointer escaped, so `data` holds
 * them as written. Builds before v2 wrote `<capability>-<key>`; Pepr 1.1.4 moves such keys to v2
 * on start, the legacy value winning.
 */
export const peprStoreKind: ResolvedKind = {
  kind: "PeprStore",
  group: "pepr.dev",
  version: "v1",
  plural: "peprstores",
  namespaced: true,
  apiVersion: "pepr.dev/v1",
};

/** Pepr keeps this entry so that its JSON patches never meet an empty `data`. */
export const PEPR_PLACEHOLDER = { key: "__pepr_do_not_delete__", value: "k-thx-bye" } as const;
/** The label Pepr sets to `Date.now()` on every patch of its store. */
export const PEPR_CACHE_LABEL = "pepr.dev-cacheID";
/** What Pepr puts between a capability's name and a key since its store format v2. */
export const PEPR_VERSION_TAG = "v2-";
/** Pepr 1.1.4 reads its Store objects in this namespace whatever the module's config says. */
export const PEPR_STORE_NAMESPACE = "pepr-system";

export interface PeprStoreObject extends KubernetesObject {
  data?: Record<string, unknown>;
}

/** The PeprStore CRD as Pepr 1.1.4 applies it (values typed as strings). */
export const peprStoreCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${peprStoreKind.plural}.${peprStoreKind.group}` },
  spec: {
    group: peprStoreKind.group,
    versions: [
      {
        name: peprStoreKind.version,
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: { data: { type: "object", additionalProperties: { type: "string" } } },
          },
        },
      },
    ],
    scope: "Namespaced",
    names: { plural: peprStoreKind.plural, singular: "peprstore", kind: peprStoreKind.kind },
  },
} as const;

/** The `data` key Pepr 1.1.4 reads a capability's key from. */
export function peprDataKey(capability: string, key: string): string {
  return `${capability}-${PEPR_VERSION_TAG}${key}`;
}

/** The keys `subscribe` and `onReady` callbacks see under Pepr: the capability stripped, `v2-` kept. */
export function peprPayload(data: Readonly<Record<string, string>>): Record<string, string> {
  const payload: Record<string, string> = {};
  for (const key in data) payload[`${PEPR_VERSION_TAG}${key}`] = data[key] as string;
  return payload;
}

export interface PeprEntries {
  /** capability → key → value, as Pepr 1.1.4 would show them through `getItem` after its own start. */
  readonly byCapability: Map<string, Map<string, string>>;
  /** Pepr keys that belong to none of the given capabilities (left where they are). */
  readonly unclaimed: number;
  /** The `data` entries that belong to the capabilities, as stored: what an import takes in. */
  readonly claimed: Readonly<Record<string, string>>;
}

/**
 * Reads a PeprStore's `data` for the given capabilities. A key belongs to the longest capability
 * name it starts with (followed by `-`): Pepr matches every capability whose name is a prefix,
 * which hands `foo-bar-v2-x` to `foo` as well as to `foo-bar`. Values that are not strings, the
 * placeholder and empty keys are skipped.
 */
export function readPeprData(
  data: Readonly<Record<string, unknown>> | undefined,
  capabilities: readonly string[],
): PeprEntries {
  const byLength = [...new Set(capabilities)].sort((a, b) => b.length - a.length);
  const byCapability = new Map<string, Map<string, string>>();
  const legacy = new Map<string, Map<string, string>>();
  const claimed: Record<string, string> = {};
  let unclaimed = 0;
  for (const [dataKey, value] of Object.entries(data ?? {})) {
    if (dataKey === PEPR_PLACEHOLDER.key || typeof value !== "string") continue;
    const capability = byLength.find((name) => dataKey.startsWith(`${name}-`));
    if (capability === undefined) {
      unclaimed++;
      continue;
    }
    const rest = dataKey.slice(capability.length + 1);
    const isV2 = rest.startsWith(PEPR_VERSION_TAG);
    const key = isV2 ? rest.slice(PEPR_VERSION_TAG.length) : rest;
    if (key === "") continue;
    claimed[dataKey] = value;
    const target = isV2 ? byCapability : legacy;
    const keys = target.get(capability) ?? new Map<string, string>();
    target.set(capability, keys);
    keys.set(key, value);
  }
  // A legacy key overrides its v2 twin, as Pepr 1.1.4's start-up migration does.
  for (const [capability, keys] of legacy) {
    const merged = byCapability.get(capability) ?? new Map<string, string>();
    byCapability.set(capability, merged);
    for (const [key, value] of keys) merged.set(key, value);
  }
  return { byCapability, unclaimed, claimed };
}

/** The Pepr data key a capability's key was read from (v2 or legacy), for the three-way merge. */
export function peprSourceKeys(capability: string, key: string): [string, string] {
  return [peprDataKey(capability, key), `${capability}-${key}`];
}

/**
 * A short digest of one Pepr `data` entry. The import marker keeps the digests of the entries it
 * took in, so a later import can tell what changed in the PeprStore since, without keeping values.
 */
export function entryDigest(dataKey: string, value: string): string {
  return createHash("sha256").update(dataKey).update("\0").update(value).digest("base64url").slice(0, 12);
}

export const DIGEST_LENGTH = 12;

/** The digests of every string entry of a PeprStore's `data`, concatenated (sorted, so equal data gives equal text). */
export function dataDigests(data: Readonly<Record<string, unknown>> | undefined): string {
  const digests: string[] = [];
  for (const [key, value] of Object.entries(data ?? {})) {
    if (typeof value === "string") digests.push(entryDigest(key, value));
  }
  return digests.sort().join("");
}

export function digestSet(concatenated: string | undefined): Set<string> {
  const set = new Set<string>();
  if (!concatenated) return set;
  for (let i = 0; i + DIGEST_LENGTH <= concatenated.length; i += DIGEST_LENGTH) {
    set.add(concatenated.slice(i, i + DIGEST_LENGTH));
  }
  return set;
}
