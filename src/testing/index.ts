// `capstan/testing`: what module authors (and capstan's own tests) use to test against a real cluster.
export {
  type ControlPlaneOptions,
  type ControlPlaneState,
  isControlPlaneReady,
  readControlPlaneState,
  startControlPlane,
  stopControlPlane,
} from "./control-plane/control-plane.ts";
export * from "./fault-proxy.ts";
