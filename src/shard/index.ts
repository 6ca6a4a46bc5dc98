export { DEFAULT_VNODES, HashRing, type HashRingOptions, murmur3Utf16 } from "./ring.ts";
