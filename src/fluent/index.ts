export { resourcePath } from "../k8s/index.ts";
export { defaultClient, setDefaultClient } from "./default-client.ts";
export { currentDryRunScope, type DryRunScope, type DryRunWrite, dryRunAware, withDryRun } from "./dry-run.ts";
export { type FetchResponse, fetch } from "./fetch.ts";
export { type FetchStatus, fetchStatus } from "./fetch-status.ts";
export { fieldManager, K8s, type K8sFiltered, type K8sInit, type K8sOptions, setFieldManager } from "./k8s.ts";
export { LogsUnavailableError, parseLogLines } from "./logs.ts";
export type {
  Filters,
  KubernetesListObject,
  Operation,
  PartialDeep,
  Paths,
  WatchAction,
  WatchCfg,
} from "./types.ts";
export { WatchPhase } from "./types.ts";
export { Watcher } from "./watcher.ts";
