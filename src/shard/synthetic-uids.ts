/**
 * `count` distinct object uids in the Kubernetes format (version-4 UUID text), the same for the same
 * `seed` in every process: the simulation's and the ring tests' objects. From `xorshift128`, not a
 * cryptographic stream.
 */
export function syntheticUids(count: number, seed = 1): string[] {
  const next = xorshift128(seed);
  const hex = (n: number, digits: number): string =>
    n
      .toString(16)
      .padStart(8, "0")
      .slice(8 - digits);
  const uids: string[] = [];
  for (let i = 0; i < count; i++) {
    const w0 = next();
    const w1 = next();
    const w2 = next();
    const w3 = next();
    const version = ((w1 & 0xffff0fff) | 0x4000) >>> 0;
    const variant = ((w2 & 0x3fffffff) | 0x80000000) >>> 0;
    uids.push(
      `${hex(w0, 8)}-${hex(w1 >>> 16, 4)}-${hex(version, 4)}-${hex(variant >>> 16, 4)}-${hex(variant, 4)}${hex(w3, 8)}`,
    );
  }
  return uids;
}

/** A seeded xorshift128 stream of unsigned 32-bit integers (Marsaglia 2003). */
export function xorshift128(seed: number): () => number {
  let a = seed | 0 || 1;
  let b = 0x9e3779b9;
  let c = 0x243f6a88;
  let d = 0xb7e15162;
  const next = (): number => {
    const t = a ^ (a << 11);
    a = b;
    b = c;
    c = d;
    d = (d ^ (d >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return d;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}
