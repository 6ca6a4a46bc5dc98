import { hostname } from "node:os";
import { claim, type Lease, microTime } from "../controller/index.ts";
import type { ApiClient } from "../k8s/index.ts";
import { ConflictError, NotFoundError } from "../k8s/index.ts";
import { processAlive } from "./dev-logs.ts";

/**
 * One `capstan dev` session per module and cluster: the session holds the Lease
 * `kube-system/capstan-<uuid>-dev` (kube-system exists on every cluster, so two sessions with
 * different `--namespace` still meet there) and renews it every few seconds.
 */
export const DEV_LEASE_NAMESPACE = "kube-system";
export const DEV_LEASE_SECONDS = 15;
const SESSION_ANNOTATION = "capstan.dev/dev-session";

export interface DevSessionIdentity {
  readonly host: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly moduleDir: string;
}

export function devSessionIdentity(moduleDir: string): DevSessionIdentity {
  return { host: hostname(), pid: process.pid, startedAt: new Date().toISOString(), moduleDir };
}

/** The Lease's holderIdentity: host, pid and start time name one session. */
export function holderOf(identity: DevSessionIdentity): string {
  return `${identity.host}/${identity.pid}/${identity.startedAt}`;
}

export interface DevLeaseRef {
  readonly namespace: string;
  readonly name: string;
}

/** `objectPrefix` is the module's (`capstan-<uuid>`, or `pepr-<uuid>` for a Pepr module). */
export function devLeaseRef(objectPrefix: string): DevLeaseRef {
  return { namespace: DEV_LEASE_NAMESPACE, name: `${objectPrefix}-dev` };
}

export function formatLeaseRef(ref: DevLeaseRef): string {
  return `${ref.namespace}/${ref.name}`;
}

export function parseLeaseRef(text: string): DevLeaseRef {
  const [namespace = "", name = ""] = text.split("/");
  return { namespace, name };
}

/** Another live session holds the module on this cluster. */
export class DevSessionHeldError extends Error {}

const leasePath = (ref: DevLeaseRef, name = true) =>
  `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(ref.namespace)}/leases${name ? `/${encodeURIComponent(ref.name)}` : ""}`;

async function readLease(client: ApiClient, ref: DevLeaseRef): Promise<Lease | undefined> {
  try {
    return await client.request<Lease>({ path: leasePath(ref) });
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

function leaseBody(ref: DevLeaseRef, identity: DevSessionIdentity, previous?: Lease): Lease {
  const holder = holderOf(identity);
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      ...(previous?.metadata.resourceVersion ? { resourceVersion: previous.metadata.resourceVersion } : {}),
      annotations: { [SESSION_ANNOTATION]: JSON.stringify(identity) },
    } as Lease["metadata"],
    spec: claim(previous?.spec ?? {}, holder, DEV_LEASE_SECONDS, Date.now()),
  };
}

/** Whether the holder stopped renewing, or (on this host) its process is gone. */
function expired(lease: Lease, now: number): boolean {
  const session = sessionOf(lease);
  if (session?.host === hostname() && !processAlive(session.pid)) return true;
  const renewed = Date.parse(lease.spec.renewTime ?? "");
  const seconds = lease.spec.leaseDurationSeconds ?? DEV_LEASE_SECONDS;
  return !Number.isFinite(renewed) || renewed + seconds * 1000 < now;
}

function sessionOf(lease: Lease): DevSessionIdentity | undefined {
  const text = (lease.metadata as { annotations?: Record<string, string> }).annotations?.[SESSION_ANNOTATION];
  try {
    return text ? (JSON.parse(text) as DevSessionIdentity) : undefined;
  } catch {
    return undefined;
  }
}

/** One line naming who holds the session. */
export function describeHolder(lease: Lease): string {
  const session = sessionOf(lease);
  if (!session) return `${lease.spec.holderIdentity ?? "an unknown session"}`;
  return `pid ${session.pid} on ${session.host}, started ${session.startedAt}, in ${session.moduleDir}`;
}

/**
 * Takes the session Lease, or throws `DevSessionHeldError` naming the live session that holds it.
 * An expired Lease (its session died without releasing it) is taken over.
 */
export async function acquireDevLease(
  client: ApiClient,
  ref: DevLeaseRef,
  identity: DevSessionIdentity,
): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await readLease(client, ref);
    const holder = current?.spec.holderIdentity;
    if (current && holder && holder !== holderOf(identity) && !expired(current, Date.now())) {
      throw new DevSessionHeldError(
        `another capstan dev session runs this module on this cluster (${describeHolder(current)}; Lease ${formatLeaseRef(ref)}): stop it first`,
      );
    }
    try {
      await client.request({
        method: current ? "PUT" : "POST",
        path: leasePath(ref, current !== undefined),
        body: leaseBody(ref, identity, current),
      });
      return;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new DevSessionHeldError(`another capstan dev session keeps taking Lease ${formatLeaseRef(ref)}: stop it first`);
}

/**
 * Renews the session Lease (recreating it when the cluster lost it). Returns the line naming the
 * other session when one took the Lease over.
 */
export async function renewDevLease(
  client: ApiClient,
  ref: DevLeaseRef,
  identity: DevSessionIdentity,
): Promise<string | undefined> {
  const current = await readLease(client, ref);
  if (current?.spec.holderIdentity && current.spec.holderIdentity !== holderOf(identity)) {
    return describeHolder(current);
  }
  const body = leaseBody(ref, identity, current);
  body.spec.renewTime = microTime(Date.now());
  await client.request({ method: current ? "PUT" : "POST", path: leasePath(ref, current !== undefined), body });
  return undefined;
}

/** Whether nobody but `holder` holds the Lease. */
export async function isDevLeaseFree(client: ApiClient, ref: DevLeaseRef | string, holder: string): Promise<boolean> {
  const current = await readLease(client, typeof ref === "string" ? parseLeaseRef(ref) : ref);
  return !current?.spec.holderIdentity || current.spec.holderIdentity === holder;
}

/**
 * Deletes the Lease if `holder` still holds it. True when nobody else holds it (the caller may then
 * remove the session's webhook configurations).
 */
export async function releaseDevLease(client: ApiClient, ref: DevLeaseRef | string, holder: string): Promise<boolean> {
  const leaseRef = typeof ref === "string" ? parseLeaseRef(ref) : ref;
  const current = await readLease(client, leaseRef);
  if (!current) return true;
  if (current.spec.holderIdentity && current.spec.holderIdentity !== holder) return false;
  await client
    .request({
      method: "DELETE",
      path: leasePath(leaseRef),
      body: { preconditions: { resourceVersion: current.metadata.resourceVersion } },
    })
    .catch((error: unknown) => {
      if (!(error instanceof NotFoundError) && !(error instanceof ConflictError)) throw error;
    });
  return true;
}
