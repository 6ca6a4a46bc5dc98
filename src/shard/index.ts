export { DEFAULT_VNODES, HashRing, type HashRingOptions, murmur3Utf16 } from "./ring.ts";
export {
  type ChangeReport,
  DEFAULT_HANDOVER_TIMINGS,
  type HandoverTime,
  type HandoverTimings,
  handoverTime,
  type MembershipChange,
  type MembershipChangeKind,
  type SimulationOptions,
  type SimulationReport,
  simulateRing,
} from "./simulation.ts";
