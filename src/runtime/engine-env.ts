import { RuntimeEnv } from "../contract/index.ts";

/** The engines' own settings the runtime reads from its environment; engines get them as options. */
export const EngineEnvName = {
  podName: RuntimeEnv.podName,
  /** Read when CAPSTAN_POD_NAME is not set. */
  podNameFallback: "POD_NAME",
  storeLogValues: "CAPSTAN_STORE_LOG_VALUES",
} as const;

export interface EngineEnvOptions {
  /** The leader-election identity's pod name (default: the host name). */
  readonly podName?: string;
  /** `true` only when CAPSTAN_STORE_LOG_VALUES is exactly "true": Store values in the debug line `store write queued`. */
  readonly storeLogValues: boolean;
}

export function engineEnv(env: NodeJS.ProcessEnv = process.env): EngineEnvOptions {
  const podName = env[EngineEnvName.podName] ?? env[EngineEnvName.podNameFallback];
  return {
    ...(podName === undefined ? {} : { podName }),
    storeLogValues: env[EngineEnvName.storeLogValues] === "true",
  };
}
