import type * as k8s from "@kubernetes/client-node";
import type { KubernetesObject } from "../k8s/index.ts";
import { ApiClient } from "../k8s/index.ts";

export interface WriteEventOptions {
  eventType: string;
  eventReason: string;
  reportingComponent: string;
  reportingInstance: string;
}

let client: Promise<ApiClient> | undefined;

/** Uses `api` for `writeEvent` instead of a client loaded from the default kubeconfig. */
export function setSdkClient(api: ApiClient | undefined): void {
  client = api ? Promise.resolve(api) : undefined;
}

/** Records a core/v1 Event about `cr` in its namespace (Pepr's `writeEvent`). */
export async function writeEvent(
  cr: KubernetesObject,
  event: Partial<k8s.CoreV1Event>,
  options: WriteEventOptions,
): Promise<void> {
  const { metadata = {} } = cr;
  if (!metadata.name) throw new Error("writeEvent needs an object with metadata.name");
  const namespace = metadata.namespace ?? "default";
  client ??= ApiClient.fromKubeconfig();
  const api = await client;
  await api.request({
    method: "POST",
    path: `/api/v1/namespaces/${namespace}/events`,
    body: {
      type: options.eventType,
      reason: options.eventReason,
      ...event,
      apiVersion: "v1",
      kind: "Event",
      metadata: { namespace, generateName: metadata.name },
      involvedObject: {
        apiVersion: cr.apiVersion,
        kind: cr.kind,
        name: metadata.name,
        namespace: metadata.namespace,
        uid: metadata.uid,
      },
      firstTimestamp: new Date().toISOString(),
      reportingComponent: options.reportingComponent,
      reportingInstance: options.reportingInstance,
    },
  });
}
