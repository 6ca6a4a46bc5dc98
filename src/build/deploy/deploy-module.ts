import { MODULE_SHA_LABEL, resourceNames } from "../../contract/index.ts";
import type { ApiClient } from "../../k8s/index.ts";
import { flavorNames } from "../../model/index.ts";
import type { KubeObject } from "../manifest-input.ts";
import { applyAll } from "./apply.ts";
import { countNodes, diagnoseDeployment } from "./diagnose.ts";
import { describeObject } from "./object-paths.ts";
import { removeUnservedWebhooks, rollBackDeployments, snapshotDeployments } from "./rollback.ts";
import { type RolloutState, waitForRollout } from "./rollout.ts";
import {
  acceptingPeprPath,
  deleteDetachedPods,
  deletePeprLeftovers,
  detachOrphanedPods,
  findPeprDeployment,
  longestWebhookTimeoutMs,
  type OrphanedPods,
  orphanPeprPods,
  peprLeftovers,
  splitWebhooks,
  waitUntilDetached,
  withCurrentCaBundle,
} from "./takeover.ts";

export interface DeployOptions {
  readonly force?: boolean;
  readonly dryRun?: boolean;
  /** Wait for the rollout before the webhooks switch (default true; a takeover of Pepr requires it). */
  readonly wait?: boolean;
  readonly timeoutMs: number;
  readonly rolloutIntervalMs?: number;
  /** One line per step, for the terminal. */
  readonly log?: (line: string) => void;
  readonly onRollout?: (states: readonly RolloutState[]) => void;
  /** How long Pepr's detached pods keep serving after the switch. Default: the longest webhook timeout. */
  readonly drainMs?: number;
}

export interface DeployResult {
  /** Whether a running Pepr deployment of the module was taken over. */
  readonly tookOverPepr: boolean;
  readonly deletedLeftovers: readonly string[];
  readonly prunedSecrets: number;
}

function rejectsWhenUnserved(webhooks: readonly KubeObject[]): boolean {
  return webhooks.some((config) =>
    ((config as { webhooks?: { failurePolicy?: string }[] }).webhooks ?? []).some(
      (webhook) => (webhook.failurePolicy ?? "Fail") === "Fail",
    ),
  );
}

/** A rollout that did not finish in time; the message is the whole report, for the terminal. */
export class RolloutFailed extends Error {
  override readonly name = "RolloutFailed";
}

/** Each Deployment not ready and why, as indented lines under one heading. */
async function notReadyReport(
  client: ApiClient,
  timeoutMs: number,
  waiting: readonly RolloutState[],
  deployments: readonly KubeObject[],
): Promise<string[]> {
  const nodes = await countNodes(client);
  const lines = [`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for the rollout; not ready:`];
  for (const state of waiting) {
    lines.push(`  ${state.name}: ${state.summary}`);
    const deployment = deployments.find((object) => describeObject(object) === state.name);
    if (deployment) for (const line of await diagnoseDeployment(client, deployment, nodes)) lines.push(`    ${line}`);
  }
  return lines;
}

/** The whole report: why, what the deploy undid, what to do next. */
function withWhatWasUndone(why: readonly string[], undone: readonly string[]): string {
  const lines = [...why, "What capstan did:"];
  if (!undone.some((line) => line.includes("WebhookConfiguration"))) {
    lines.push("  applied no webhook configuration: no admission request is sent to these pods");
  }
  for (const line of undone) lines.push(`  ${line}`);
  lines.push(
    "Fix the cause and run capstan deploy again, or remove the module with capstan undeploy (kubectl describe and the pods' logs say more).",
  );
  return lines.join("\n");
}

/** Pepr-mode manifests carry Pepr's uuid label (`pepr.dev/uuid`); capstan's carry `capstan.dev/uuid`. */
export function manifestFlavor(objects: readonly KubeObject[]): "pepr" | "capstan" {
  const peprLabel = flavorNames("pepr").uuidLabel;
  return objects.some((object) => object.metadata.labels?.[peprLabel] !== undefined) ? "pepr" : "capstan";
}

/**
 * Applies a build's manifests so that no admission request fails on the way: every object but the
 * webhook configurations first, then (after the rollout) the webhook configurations with the
 * trust bundle the pods serve under. Over a running Pepr deployment of the module, capstan's pods
 * also accept Pepr's webhook path until the webhooks switch, and Pepr's leftovers go last.
 * A rollout that times out rolls the Deployments back, removes any of the module's webhook
 * configurations no ready pod serves, and throws `RolloutFailed` with the report.
 */
export async function deployModule(
  client: ApiClient,
  manifests: readonly KubeObject[],
  options: DeployOptions,
): Promise<DeployResult> {
  const log = options.log ?? (() => {});
  const flavor = manifestFlavor(manifests);
  const fieldManager = flavorNames(flavor).fieldManager;
  const pepr = flavor === "pepr" ? await findPeprDeployment(client, manifests) : undefined;
  const wait = options.wait ?? true;
  if (pepr && !wait && !options.dryRun) {
    throw new Error(
      `Pepr's deployment of module ${pepr.uuid} is running: a takeover waits for capstan's pods before the webhooks switch; drop --no-wait`,
    );
  }
  const objects = pepr ? acceptingPeprPath(manifests, pepr) : [...manifests];
  if (pepr) log(`taking over Pepr's deployment of module ${pepr.uuid} in ${pepr.namespace}`);
  const total = objects.length;
  let applied = 0;
  const apply = (batch: readonly KubeObject[]) =>
    applyAll(client, batch, {
      fieldManager,
      force: options.force === true,
      dryRun: options.dryRun === true,
      onApplied: (object) => {
        applied++;
        log(`[${applied}/${total}] ${options.dryRun ? "validated" : "applied"} ${describeObject(object)}`);
      },
    });

  const { webhooks, rest } = splitWebhooks(objects);
  if (!wait && !options.dryRun && rejectsWhenUnserved(webhooks)) {
    log(
      "warning: --no-wait applies the webhook configurations now; until the pods serve, failurePolicy Fail rejects the requests they match",
    );
  }
  let orphaned: OrphanedPods = [];
  if (pepr && !options.dryRun) {
    orphaned = await orphanPeprPods(client, manifests);
    if (orphaned.length > 0) log("Pepr's Deployments deleted, their pods left serving until the webhooks switch");
  }
  const previous = await snapshotDeployments(client, options.dryRun ? [] : rest.filter((o) => o.kind === "Deployment"));
  await apply(rest);
  const deployments = rest.filter((object) => object.kind === "Deployment");
  if (wait && !options.dryRun) {
    const waiting = await waitForRollout(client, deployments, {
      timeoutMs: options.timeoutMs,
      ...(options.rolloutIntervalMs ? { intervalMs: options.rolloutIntervalMs } : {}),
      ...(options.onRollout ? { onProgress: options.onRollout } : {}),
    });
    if (waiting.length > 0) {
      // A takeover deleted Pepr's Deployments: there is no previous version to roll back to, and
      // Pepr's orphaned pods keep serving Pepr's webhooks until they are switched.
      // Read why before undoing anything: a rollback changes which ReplicaSet is the newest.
      const why = await notReadyReport(client, options.timeoutMs, waiting, deployments);
      const undone = pepr ? [] : await rollBackDeployments(client, deployments, previous, fieldManager);
      undone.push(...(await removeUnservedWebhooks(client, webhooks)));
      throw new RolloutFailed(withWhatWasUndone(why, undone));
    }
  }
  const namespace = deployments[0]?.metadata.namespace;
  const uuid = deployments[0]?.metadata.labels?.[flavorNames(flavor).uuidLabel];
  const tlsSecret =
    namespace && typeof uuid === "string" ? { namespace, name: resourceNames(uuid, flavor).tlsSecret } : undefined;
  // Pepr's pods leave their Services, still serving the connections the API server holds to them;
  // the switched configurations get new connections, which reach only capstan's pods.
  if (pepr && namespace && orphaned.length > 0) {
    await detachOrphanedPods(client, namespace, orphaned);
    await waitUntilDetached(client, namespace, orphaned);
  }
  await apply(tlsSecret && !options.dryRun ? await withCurrentCaBundle(client, webhooks, tlsSecret) : webhooks);
  if (options.dryRun) return { tookOverPepr: false, deletedLeftovers: [], prunedSecrets: 0 };
  if (pepr && namespace && orphaned.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, options.drainMs ?? longestWebhookTimeoutMs(webhooks)));
    const stopped = await deleteDetachedPods(client, namespace);
    log(`the webhooks switched; stopped ${stopped} Pepr pod(s)`);
  }

  const deletedLeftovers = pepr ? await deletePeprLeftovers(client, peprLeftovers(pepr, manifests)) : [];
  for (const name of deletedLeftovers) log(`deleted Pepr's ${name}`);
  const prunedSecrets = wait ? await pruneOldModuleSecrets(client, manifests) : 0;
  return { tookOverPepr: pepr !== undefined, deletedLeftovers, prunedSecrets };
}

/** Deletes module-code Secrets of older builds once the new one is rolled out. */
async function pruneOldModuleSecrets(client: ApiClient, objects: readonly KubeObject[]): Promise<number> {
  const current = objects.find((object) => object.kind === "Secret" && object.metadata.labels?.[MODULE_SHA_LABEL]);
  if (!current?.metadata.namespace) return 0;
  const uuidLabel = flavorNames(manifestFlavor(objects)).uuidLabel;
  const uuid = current.metadata.labels?.[uuidLabel] as string;
  const sha = current.metadata.labels?.[MODULE_SHA_LABEL] as string;
  const path = `/api/v1/namespaces/${encodeURIComponent(current.metadata.namespace)}/secrets`;
  const selector = `${uuidLabel}=${uuid},${MODULE_SHA_LABEL},${MODULE_SHA_LABEL}!=${sha}`;
  const list = await client.request<{ items: KubeObject[] }>({ path, query: { labelSelector: selector } });
  for (const secret of list.items) {
    await client.request({ method: "DELETE", path: `${path}/${encodeURIComponent(secret.metadata.name)}` });
  }
  return list.items.length;
}
