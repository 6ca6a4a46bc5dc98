import type { ApiClient, KubernetesObject, ResolvedKind } from "../k8s/index.ts";
import { ApiError, kindOf, Pod, resourcePath } from "../k8s/index.ts";

/** The pod's logs cannot be read: it has no node (so no kubelet keeps them), or the server refused. */
export class LogsUnavailableError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "LogsUnavailableError";
  }
}

/** Splits a pod's log text into lines prefixed with `[pod/<name>]`, dropping the final empty line. */
export function parseLogLines(podName: string, text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines.map((line) => `[pod/${podName}] ${line}`);
}

interface Selectable extends KubernetesObject {
  spec?: { selector?: { matchLabels?: Record<string, string> } | Record<string, string> };
}

/** The label selector of a workload (`spec.selector.matchLabels`) or a Service (`spec.selector`). */
function podSelector(kind: ResolvedKind, object: Selectable): string {
  const selector = object.spec?.selector;
  const labels = (
    kind.kind === "Service" ? selector : (selector as { matchLabels?: Record<string, string> })?.matchLabels
  ) as Record<string, string> | undefined;
  if (!labels || Object.keys(labels).length === 0) {
    throw new LogsUnavailableError(
      `${kind.kind} ${object.metadata?.namespace}/${object.metadata?.name} has no pod selector`,
    );
  }
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

async function podLogs(client: ApiClient, namespace: string, pod: string): Promise<string[]> {
  const podKind = kindOf(Pod);
  let text: string;
  try {
    // The server answers text/plain only when asked for */*; it refuses an explicit text/plain.
    text =
      (await client.request<string | undefined>({
        path: resourcePath(podKind, { namespace, name: pod, subresource: "log" }),
        accept: "*/*",
      })) ?? "";
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 400) throw error;
    throw new LogsUnavailableError(`cannot read the logs of pod ${namespace}/${pod}: ${error.message}`, error);
  }
  // For a pod with no node the server answers 200 with nothing at all, indistinguishable from a
  // quiet container; say which it is.
  if (text === "") {
    const object = await client.request<{ spec?: { nodeName?: string } }>({
      path: resourcePath(podKind, { namespace, name: pod }),
    });
    if (!object.spec?.nodeName) {
      throw new LogsUnavailableError(
        `cannot read the logs of pod ${namespace}/${pod}: it is not scheduled to a node, so no kubelet holds its logs yet`,
      );
    }
  }
  return parseLogLines(pod, text);
}

/** Logs of a Pod, or of every pod a Deployment, ReplicaSet, StatefulSet, DaemonSet or Service selects. */
export async function readLogs(
  client: ApiClient,
  kind: ResolvedKind,
  namespace: string,
  name: string,
): Promise<string[]> {
  if (kind.kind === "Pod") return podLogs(client, namespace, name);
  if (!["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Service"].includes(kind.kind)) {
    throw new Error(
      `Logs works on Pods, Deployments, ReplicaSets, StatefulSets, DaemonSets and Services, not ${kind.kind}`,
    );
  }
  const owner = await client.request<Selectable>({ path: resourcePath(kind, { namespace, name }) });
  const pods = await client.request<{ items?: KubernetesObject[] }>({
    path: resourcePath(kindOf(Pod), { namespace }),
    query: { labelSelector: podSelector(kind, owner) },
  });
  const lines: string[] = [];
  for (const pod of pods.items ?? []) lines.push(...(await podLogs(client, namespace, pod.metadata?.name ?? "")));
  return lines;
}
