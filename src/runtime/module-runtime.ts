import { hostname } from "node:os";
import { labelsShards } from "../admission/index.ts";
import { resourceNames } from "../contract/index.ts";
import { electionIdentity, serveHealth, startControllerRole } from "../controller/index.ts";
import { setFieldManager } from "../fluent/index.ts";
import { stopInformers } from "../informer/index.ts";
import type { ApiClient, KubernetesObject } from "../k8s/index.ts";
import type { Action, PeprModule } from "../model/index.ts";
import { auditSettings, flavorNames, flavorOf, namesOf, watchIgnoredNamespaces } from "../model/index.ts";
import { Leadership, peprScheduleConverter, Scheduler } from "../schedule/index.ts";
import { ShardLabeller, shardIdFrom, shardScopes, startShardedControllerRole } from "../shard/index.ts";
import { attachCapabilityStores, ClusterStore, peprImportStep } from "../store/index.ts";
import { enableProcessMetrics, Log } from "../telemetry/index.ts";
import { type AdmissionRole, type AdmissionRoleOptions, startAdmissionRole } from "./admission-role.ts";
import { auditOnLeader } from "./audit-role.ts";
import { type EngineEnvOptions, engineEnv } from "./engine-env.ts";
import { reconcileSettings } from "./reconcile-settings.ts";

export type RuntimeRole = "admission" | "controller" | "dev";

export interface ModuleRuntimeOptions {
  readonly module: PeprModule;
  readonly client: ApiClient;
  readonly role: RuntimeRole;
  /** The namespace the module's Store, Lease and Secrets live in. */
  readonly namespace: string;
  readonly admission?: Omit<AdmissionRoleOptions, "module" | "client">;
  readonly controller?: {
    /** Lease name for leader election; `false` makes this the only, always active replica (dev). */
    readonly leaseName: string | false;
    /** Port of the plain-HTTP health server; omit when the admission server already serves health. */
    readonly healthPort?: number;
    readonly host?: string;
  };
  /** Namespaces the watches ignore besides the module's own (PEPR_ADDITIONAL_IGNORED_NAMESPACES). */
  readonly additionalIgnoredNamespaces?: readonly string[] /** The engines' settings from the environment. Default: read from this process's (`engineEnv()`). */;
  readonly engineEnv?: EngineEnvOptions;
}

export interface ModuleRuntime {
  readonly admission: AdmissionRole | undefined;
  /** Stops serving and watching, hands the lease over and flushes the Store. */
  close(): Promise<void>;
}

/**
 * Whether the module has work for a controller: a Watch, Reconcile or Finalize binding, or a
 * schedule. The dev role of an admission-only module runs none (no queues, informers, monitor).
 */
export function needsController(module: Pick<PeprModule, "capabilities" | "config">): boolean {
  if (auditSettings(module.config).enabled) return true;
  return module.capabilities.some(
    (capability) =>
      capability.schedules.length > 0 || capability.bindings.some((binding) => CONTROLLER_ACTIONS.has(binding.action)),
  );
}
const CONTROLLER_ACTIONS: ReadonlySet<Action> = new Set<Action>(["watch", "reconcile", "finalize"]);

/**
 * Runs one role of a loaded module: the Store every role shares, then the admission server
 * and/or the controller (Watch, Reconcile, Finalize) with schedules on the leader.
 */
export async function startModuleRuntime(options: ModuleRuntimeOptions): Promise<ModuleRuntime> {
  const { module, client, role } = options;
  const env = options.engineEnv ?? engineEnv();
  const log = Log.child({ module: module.config.uuid, role });
  enableProcessMetrics();
  const names = namesOf(module.config);
  setFieldManager(names.fieldManager);
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) {
      await closer().catch((error: unknown) => log.warn({ err: error }, "error while shutting down"));
    }
    await stopInformers(client);
  };
  try {
    const pepr = flavorOf(module.config) === "pepr";
    const peprPrefix = flavorNames("pepr").objectPrefix(module.config.uuid);
    const store = new ClusterStore({
      client,
      logValues: env.storeLogValues,
      namespace: options.namespace,
      name: resourceNames(module.config.uuid, flavorOf(module.config)).store,
      // Pepr mode: the PeprStore's data is taken in before the store is ready (docs/store.md, "Pepr mode").
      beforeReady: pepr
        ? peprImportStep({
            client,
            storeName: `${peprPrefix}-store`,
            scheduleName: `${peprPrefix}-schedule`,
            peprNamespace: options.namespace,
            capabilities: module.capabilities,
            convertSchedule: peprScheduleConverter(module.capabilities),
          })
        : undefined,
    });
    const views = attachCapabilityStores(store, module.capabilities, { payloadKeys: pepr ? "pepr" : "plain" });
    store.start();
    closers.push(() => store.close({ timeoutMs: 5_000 }));
    // As under Pepr, which binds its endpoints once its store is loaded: no action sees the store before the PeprStore's data.
    if (pepr) await store.whenReady();

    let admission: AdmissionRole | undefined;
    if (role !== "controller") {
      if (!options.admission) throw new Error(`the ${role} role needs admission options`);
      // controller.shards: the label webhook names each new object's shard from the live shard Leases.
      const labelling = labelsShards(module)
        ? new ShardLabeller(client, {
            namespace: options.namespace,
            prefix: names.objectPrefix(module.config.uuid),
            scopes: shardScopes(module.capabilities),
            logger: log,
          })
        : undefined;
      if (labelling) {
        await labelling.start();
        closers.push(async () => labelling.stop());
      }
      admission = await startAdmissionRole({
        module,
        client,
        ...options.admission,
        ...(labelling && {
          labeller: (request) =>
            labelling.labelsFor({
              kind: request.kind,
              ...(request.namespace ? { namespace: request.namespace } : {}),
              object: request.object as KubernetesObject,
            }),
        }),
      });
      closers.push(() => admission?.close() ?? Promise.resolve());
    }

    if (role === "controller" || (role === "dev" && needsController(module))) {
      const leadership = new Leadership(false);
      const controllerOptions = options.controller ?? { leaseName: false };
      const sharded = module.config.controller?.shards !== undefined;
      const start = sharded
        ? (c: ApiClient, o: Parameters<typeof startControllerRole>[1]) =>
            startShardedControllerRole(c, {
              ...o,
              shard: {
                id: shardIdFrom(env.podName ?? hostname()),
                namespace: options.namespace,
                prefix: names.objectPrefix(module.config.uuid),
              },
            })
        : startControllerRole;
      const controller = await start(client, {
        capabilities: module.capabilities,
        ignoredNamespaces: [...watchIgnoredNamespaces(module.config), ...(options.additionalIgnoredNamespaces ?? [])],
        finalizer: names.finalizer,
        ...reconcileSettings(flavorOf(module.config)),
        leaderElection:
          controllerOptions.leaseName === false
            ? false
            : {
                namespace: options.namespace,
                name: controllerOptions.leaseName,
                identity: electionIdentity(env.podName),
              },
        onLeadershipChange: (leading) => leadership.set(leading),
      });
      closers.push(() => controller.shutdown());
      if (controllerOptions.healthPort !== undefined) {
        const health = await serveHealth(controller, {
          port: controllerOptions.healthPort,
          host: controllerOptions.host,
        });
        closers.push(() => health.close());
      }
      const schedules = module.capabilities.flatMap((c) => c.schedules.map((s) => ({ capability: c, schedule: s })));
      if (schedules.length > 0) {
        const scheduler = new Scheduler({ leader: leadership, identity: controller.elector?.identity ?? "dev" });
        for (const { capability, schedule } of schedules) {
          const schedulesView = views.get(capability.name)?.schedules;
          if (schedulesView) scheduler.add(capability.name, schedule, schedulesView);
        }
        await store.whenReady();
        scheduler.start();
        closers.push(() => scheduler.stop());
      }
      const stopAudit = auditOnLeader({
        client,
        module,
        leadership,
        logger: log,
        ...(options.additionalIgnoredNamespaces ? { extraIgnoredNamespaces: options.additionalIgnoredNamespaces } : {}),
      });
      if (stopAudit) closers.push(stopAudit);
    }
    log.info("module running");
    return { admission, close };
  } catch (error) {
    await close();
    throw error;
  }
}
