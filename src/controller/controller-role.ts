import type { ApiClient } from "../k8s/index.ts";
import type { Logger } from "../telemetry/index.ts";
import { Controller, type ControllerOptions } from "./dispatch/controller.ts";
import {
  EventLoopMonitor,
  type HealthReport,
  type LivenessOptions,
  longestRunningCheck,
  type ReadinessOptions,
  report,
} from "./health.ts";
import { type LeaderElectionOptions, LeaderElector } from "./leader-election.ts";

export interface ControllerRoleOptions extends Omit<ControllerOptions, "client"> {
  /** Lease for leader election; `false` runs a single replica that is always active (dev mode). */
  readonly leaderElection:
    | false
    | Omit<LeaderElectionOptions, "client" | "onStartedLeading" | "onStoppedLeading" | "logger" | "clock">;
  readonly readiness?: ReadinessOptions;
  readonly liveness?: LivenessOptions & { readonly maxCallbackSeconds?: number };
  readonly logger?: Logger;
  /**
   * Run callbacks on every replica, not only the leader (sharding: each replica owns its share of
   * the objects); leader election then drives only `onLeadershipChange` (schedules, the assigner).
   */
  readonly everyReplicaActive?: boolean;
  /** Told when this replica starts (true) or stops (false) leading; schedules follow it. */
  readonly onLeadershipChange?: (leading: boolean) => void;
}

/** A running controller replica: what the runtime's health server and signal handlers call. */
export interface ControllerRole {
  readonly controller: Controller;
  readonly elector: LeaderElector | undefined;
  /** `/readyz`: every informer synced and fresh (standbys too: they are warm). */
  readiness(): HealthReport;
  /** `/healthz`: the event loop is not wedged (and, when a limit is set, no callback is hung). */
  liveness(): HealthReport;
  /** SIGTERM: stop running callbacks, hand the lease over at once, unsubscribe. */
  shutdown(): Promise<void>;
}

/**
 * Starts the controller role: informers fill their caches on every replica; callbacks run only
 * on the leader. Losing the lease pauses the queues (running callbacks finish) and the replica
 * goes back to standing by.
 */
export async function startControllerRole(client: ApiClient, options: ControllerRoleOptions): Promise<ControllerRole> {
  const controller = new Controller({ ...options, client });
  const monitor = new EventLoopMonitor(options.liveness);
  monitor.start();
  controller.start();
  let elector: LeaderElector | undefined;
  const everyReplica = options.everyReplicaActive === true;
  if (everyReplica) controller.activate();
  if (options.leaderElection === false) {
    controller.activate();
    options.onLeadershipChange?.(true);
  } else {
    elector = new LeaderElector({
      ...options.leaderElection,
      client,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      onStartedLeading: () => {
        controller.activate();
        options.onLeadershipChange?.(true);
      },
      onStoppedLeading: () => {
        options.onLeadershipChange?.(false);
        return everyReplica ? Promise.resolve() : controller.deactivate();
      },
    });
    elector.start();
  }
  const maxCallbackSeconds = options.liveness?.maxCallbackSeconds;
  return {
    controller,
    elector,
    readiness: () => controller.readiness(options.readiness),
    liveness: () =>
      report([
        monitor.check(),
        longestRunningCheck("reconcile", controller.reconcileQueue.longestRunningSeconds, { maxCallbackSeconds }),
        longestRunningCheck("watch", controller.watchQueue.longestRunningSeconds, { maxCallbackSeconds }),
      ]),
    async shutdown() {
      monitor.stop();
      if (elector) await elector.release();
      if (!elector || everyReplica) await controller.deactivate();
      await controller.stop();
    },
  };
}
