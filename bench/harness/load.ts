// Drives the API server: creates objects with a fixed number in flight and times each create.
import type { ApiClient } from "../../src/k8s/api-client.ts";
import { now } from "../engines/engine-process.ts";

export interface TimedCreate<T> {
  readonly name: string;
  /** Epoch ms when the request was sent and when its response arrived. */
  readonly sentAt: number;
  readonly doneAt: number;
  readonly created: T;
}

export interface CreateRequest {
  readonly path: string;
  readonly body: { metadata: { name: string } } & Record<string, unknown>;
}

/** Sends every request with at most `concurrency` in flight; fails on the first error. */
export async function createAll<T>(
  client: ApiClient,
  requests: readonly CreateRequest[],
  concurrency: number,
): Promise<TimedCreate<T>[]> {
  const results: TimedCreate<T>[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const request = requests[next++] as CreateRequest;
      const sentAt = now();
      const created = await client.request<T>({ method: "POST", path: request.path, body: request.body });
      results.push({ name: request.body.metadata.name, sentAt, doneAt: now(), created });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
  return results;
}

export function configMapRequests(namespace: string, prefix: string, count: number, keys = 4): CreateRequest[] {
  return Array.from({ length: count }, (_, index) => ({
    path: `/api/v1/namespaces/${namespace}/configmaps`,
    body: {
      metadata: { name: `${prefix}-${index}`, labels: { app: "bench" } },
      data: Object.fromEntries(Array.from({ length: keys }, (_, k) => [`key-${k}`, `value-${index}-${k}`])),
    },
  }));
}

export function podRequests(namespace: string, prefix: string, count: number): CreateRequest[] {
  return Array.from({ length: count }, (_, index) => ({
    path: `/api/v1/namespaces/${namespace}/pods`,
    body: {
      metadata: { name: `${prefix}-${index}`, labels: { app: "bench" } },
      spec: { containers: [{ name: "app", image: "bench:1", resources: {} }] },
    },
  }));
}
