/** The fields of a `coordination.k8s.io/v1` Lease that leader election reads and writes. */
export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: LeaseSpec;
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** A lease as this replica last saw it, with when (on this replica's clock) it last changed. */
export interface ObservedLease {
  readonly lease: Lease;
  /** Local time at which the holder or renewTime was first seen with these values. */
  readonly observedAt: number;
}

/**
 * Updates the observation. Expiry is measured from when *this* replica saw the record change, not
 * from the renewTime written in it, so clocks skewed between replicas cannot cause two leaders.
 */
export function observe(previous: ObservedLease | undefined, lease: Lease, now: number): ObservedLease {
  const unchanged =
    previous &&
    previous.lease.spec.holderIdentity === lease.spec.holderIdentity &&
    previous.lease.spec.renewTime === lease.spec.renewTime;
  return { lease, observedAt: unchanged ? previous.observedAt : now };
}

/** When another holder's lease runs out on this replica's clock; `undefined` when nobody else holds it. */
export function heldByOtherUntil(observed: ObservedLease, identity: string): number | undefined {
  const holder = observed.lease.spec.holderIdentity;
  if (!holder || holder === identity) return undefined;
  return observed.observedAt + (observed.lease.spec.leaseDurationSeconds ?? 0) * 1000;
}

/** The spec that makes `identity` the holder as of `now`, counting a transition when the holder changes. */
export function claim(spec: LeaseSpec, identity: string, leaseDurationSeconds: number, now: number): LeaseSpec {
  const changed = spec.holderIdentity !== identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: changed || !spec.acquireTime ? microTime(now) : spec.acquireTime,
    renewTime: microTime(now),
    leaseTransitions: changed
      ? (spec.leaseTransitions ?? 0) + (spec.holderIdentity === undefined ? 0 : 1)
      : (spec.leaseTransitions ?? 0),
  };
}

/** The spec a leader writes when it steps down: no holder, so a standby can take over at once. */
export function released(spec: LeaseSpec, now: number): LeaseSpec {
  return { ...spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: microTime(now) };
}
