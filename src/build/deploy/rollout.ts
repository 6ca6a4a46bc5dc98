import type { ApiClient } from "../../k8s/index.ts";
import type { KubeObject } from "../manifest-input.ts";
import { describeObject, objectPath } from "./object-paths.ts";

interface DeploymentStatus {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    readyReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export interface RolloutState {
  readonly name: string;
  readonly ready: boolean;
  /** e.g. "1/2 updated, 0/2 available" plus the latest condition message. */
  readonly summary: string;
}

/** Whether a Deployment finished its rollout, and a readable summary of where it stands. */
export function rolloutState(name: string, deployment: DeploymentStatus): RolloutState {
  const wanted = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const observed = (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const ready = observed && updated === wanted && available === wanted && (status.replicas ?? 0) === wanted;
  const stuck = (status.conditions ?? []).find((condition) => condition.status !== "True" && condition.message);
  const summary = `${updated}/${wanted} updated, ${available}/${wanted} available${stuck ? ` (${stuck.type}: ${stuck.message})` : ""}`;
  return { name, ready, summary };
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly onProgress?: (states: readonly RolloutState[]) => void;
}

/**
 * Polls every Deployment until all are rolled out or the time is up; returns the ones still not
 * ready (none when the rollout finished).
 */
export async function waitForRollout(
  client: ApiClient,
  deployments: readonly KubeObject[],
  options: WaitOptions,
): Promise<readonly RolloutState[]> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const states = await Promise.all(
      deployments.map(async (deployment) =>
        rolloutState(
          describeObject(deployment),
          await client.request<DeploymentStatus>({ path: objectPath(deployment) }),
        ),
      ),
    );
    options.onProgress?.(states);
    const waiting = states.filter((state) => !state.ready);
    if (waiting.length === 0 || Date.now() >= deadline) return waiting;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000));
  }
}
