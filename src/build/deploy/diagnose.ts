import type { ApiClient } from "../../k8s/index.ts";
import { ApiError } from "../../k8s/index.ts";

// Why a Deployment's pods are not ready, read from the same objects `kubectl describe` shows:
// the Deployment's conditions, its newest ReplicaSet (conditions and events), the pods' scheduling
// and container states, and their Warning events.

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { uid: string }[];
}

interface LiveDeployment {
  metadata: Meta;
  spec?: { selector?: { matchLabels?: Record<string, string> } };
  status?: { observedGeneration?: number; conditions?: Condition[] };
}

interface LiveReplicaSet {
  metadata: Meta;
  status?: { replicas?: number; readyReplicas?: number; conditions?: Condition[] };
}

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string };
}

interface ContainerStatus {
  name: string;
  image?: string;
  ready?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

export interface LivePod {
  metadata: Meta;
  spec?: { nodeName?: string; containers?: { name: string; image?: string }[] };
  status?: {
    phase?: string;
    conditions?: Condition[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export interface KubeEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
}

const REVISION = "deployment.kubernetes.io/revision";
const IMAGE_PULL = new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"]);
const PODS_EXAMINED = 10;

const selectorString = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");

/** The cluster's node count, or undefined when the caller may not list nodes. */
export async function countNodes(client: ApiClient): Promise<number | undefined> {
  try {
    const list = await client.request<{ items: unknown[]; metadata?: { continue?: string } }>({
      path: "/api/v1/nodes",
      query: { limit: 1 },
    });
    return list.items.length === 0 ? 0 : list.items.length + (list.metadata?.continue ? 1 : 0);
  } catch (error) {
    if (error instanceof ApiError) return undefined;
    throw error;
  }
}

async function warnings(client: ApiClient, namespace: string, uid: string | undefined): Promise<KubeEvent[]> {
  if (!uid) return [];
  const list = await client.request<{ items: KubeEvent[] }>({
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
    query: { fieldSelector: `involvedObject.uid=${uid},type=Warning` },
  });
  const when = (event: KubeEvent) => event.lastTimestamp ?? event.eventTime ?? "";
  return list.items.sort((a, b) => when(b).localeCompare(when(a)));
}

const eventLine = (event: KubeEvent) => `${event.reason ?? "Warning"}: ${oneLine(event.message ?? "")}`;

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}

/**
 * What keeps one pod from being ready, in one line: not scheduled (and why), an image that cannot be
 * pulled, a crash loop, failing probes, or the newest Warning event.
 */
export function podProblem(pod: LivePod, nodes: number | undefined, events: readonly KubeEvent[]): string {
  const status = pod.status ?? {};
  if (!pod.spec?.nodeName) {
    const scheduled = status.conditions?.find((condition) => condition.type === "PodScheduled");
    if (scheduled?.status === "False" && scheduled.message) return `unschedulable: ${oneLine(scheduled.message)}`;
    if (nodes === 0) return "unschedulable: the cluster has no nodes";
    const failed = events.find((event) => event.reason === "FailedScheduling");
    if (failed) return `unschedulable: ${oneLine(failed.message ?? "")}`;
    return "not scheduled yet: no scheduler has placed it on a node";
  }
  for (const container of [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])]) {
    const waiting = container.state?.waiting;
    if (waiting?.reason && IMAGE_PULL.has(waiting.reason)) {
      return `image ${container.image ?? "?"} cannot be pulled (${waiting.reason}): ${oneLine(waiting.message ?? "")}`;
    }
    if (waiting?.reason === "CrashLoopBackOff") {
      const last = container.lastState?.terminated;
      const exit = last ? `, last exit code ${last.exitCode ?? "?"}${last.reason ? ` (${last.reason})` : ""}` : "";
      return `container ${container.name} keeps crashing (${container.restartCount ?? 0} restarts${exit}): kubectl logs --previous -n ${pod.metadata.namespace} ${pod.metadata.name} -c ${container.name}`;
    }
    if (waiting?.reason && waiting.reason !== "ContainerCreating" && waiting.reason !== "PodInitializing") {
      return `container ${container.name} waiting (${waiting.reason})${waiting.message ? `: ${oneLine(waiting.message)}` : ""}`;
    }
    const terminated = container.state?.terminated;
    if (terminated) {
      return `container ${container.name} exited with code ${terminated.exitCode ?? "?"}${terminated.reason ? ` (${terminated.reason})` : ""}`;
    }
  }
  const probe = events.find((event) => event.reason === "Unhealthy");
  if (probe) return `probe failing: ${oneLine(probe.message ?? "")}`;
  const newest = events[0];
  if (newest) return eventLine(newest);
  if (status.phase === "Running") return "running, but not ready yet (readiness probe /readyz)";
  return `${status.phase ?? "Pending"}: the containers are starting`;
}

/**
 * Lines (indented by the caller) explaining why a Deployment is not ready. Never throws for a
 * missing object: the report must come out whatever state the cluster is in.
 */
export async function diagnoseDeployment(
  client: ApiClient,
  deployment: { metadata: { name: string; namespace?: string } },
  nodes: number | undefined,
): Promise<string[]> {
  const namespace = deployment.metadata.namespace ?? "default";
  const ns = encodeURIComponent(namespace);
  const lines: string[] = [];
  try {
    const live = await client.request<LiveDeployment>({
      path: `/apis/apps/v1/namespaces/${ns}/deployments/${encodeURIComponent(deployment.metadata.name)}`,
    });
    if (live.status?.observedGeneration === undefined) {
      lines.push(
        "no ReplicaSet: the Deployment has no status, so no deployment controller has processed it (is kube-controller-manager running?)",
      );
      return lines;
    }
    for (const condition of live.status.conditions ?? []) {
      const bad =
        (condition.type === "ReplicaFailure" && condition.status === "True") ||
        (condition.type === "Progressing" && condition.status === "False") ||
        (condition.type === "Available" &&
          condition.status === "False" &&
          condition.reason !== "MinimumReplicasUnavailable");
      if (bad)
        lines.push(`${condition.type} (${condition.reason ?? condition.status}): ${oneLine(condition.message ?? "")}`);
    }
    const selector = live.spec?.selector?.matchLabels ?? {};
    const sets = await client.request<{ items: LiveReplicaSet[] }>({
      path: `/apis/apps/v1/namespaces/${ns}/replicasets`,
      query: { labelSelector: selectorString(selector) },
    });
    const owned = sets.items.filter((set) =>
      set.metadata.ownerReferences?.some((ref) => ref.uid === live.metadata.uid),
    );
    const revision = (set: LiveReplicaSet) => Number(set.metadata.annotations?.[REVISION] ?? 0);
    const newest = owned.sort((a, b) => revision(b) - revision(a))[0];
    if (!newest) {
      const events = await warnings(client, namespace, live.metadata.uid);
      lines.push(
        `no ReplicaSet created${events[0] ? `: ${eventLine(events[0])}` : " (quota, RBAC or an admission webhook may refuse it)"}`,
      );
      return lines;
    }
    const setName = `ReplicaSet ${newest.metadata.name}`;
    const failure = newest.status?.conditions?.find((c) => c.type === "ReplicaFailure" && c.status === "True");
    const setEvents = await warnings(client, namespace, newest.metadata.uid);
    const hash = newest.metadata.labels?.["pod-template-hash"];
    const pods = await client.request<{ items: LivePod[] }>({
      path: `/api/v1/namespaces/${ns}/pods`,
      query: { labelSelector: selectorString({ ...selector, ...(hash ? { "pod-template-hash": hash } : {}) }) },
    });
    if (pods.items.length === 0) {
      const why = failure?.message ?? (setEvents[0] ? eventLine(setEvents[0]) : undefined);
      lines.push(
        `${setName}: no Pods created${why ? `: ${oneLine(why)}` : " (quota, RBAC or an admission webhook may refuse them)"}`,
      );
      return lines;
    }
    if (failure?.message) lines.push(`${setName}: ${failure.reason ?? "ReplicaFailure"}: ${oneLine(failure.message)}`);
    const problems = new Map<string, number>();
    for (const pod of pods.items.slice(0, PODS_EXAMINED)) {
      if (pod.status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True")) {
        continue;
      }
      const problem = podProblem(pod, nodes, await warnings(client, namespace, pod.metadata.uid));
      problems.set(problem, (problems.get(problem) ?? 0) + 1);
    }
    const total = pods.items.length;
    lines.push(`${setName}: ${total} Pod${total === 1 ? "" : "s"}, ${newest.status?.readyReplicas ?? 0} ready`);
    for (const [problem, count] of problems) lines.push(`${count} Pod${count === 1 ? "" : "s"}: ${problem}`);
  } catch (error) {
    lines.push(`could not read its state: ${error instanceof Error ? error.message : String(error)}`);
  }
  return lines;
}
