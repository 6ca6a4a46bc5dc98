import type { ApiClient, KubernetesObject } from "../k8s/index.ts";
import { GoneError, resourcePath } from "../k8s/index.ts";
import type { InformerScope } from "./types.ts";

export interface ListResult {
  readonly items: KubernetesObject[];
  /** The resourceVersion of the list snapshot: where the watch starts. */
  readonly resourceVersion: string;
}

interface ListPage {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubernetesObject[];
}

const maxContinueRestarts = 5;

/**
 * Lists every object in scope page by page (`limit`/`continue`). When a continue token expires
 * (410) the list starts over, since a list stitched from two snapshots would be inconsistent.
 * Items get the kind's apiVersion and kind, which the server leaves out of list items.
 */
export async function listAll(
  client: ApiClient,
  scope: InformerScope,
  options: { pageSize: number; requestTimeoutMs: number; signal: AbortSignal; onPage?: () => void },
): Promise<ListResult> {
  const path = resourcePath(scope.kind, { namespace: scope.namespace });
  for (let restart = 0; ; restart++) {
    const items: KubernetesObject[] = [];
    let token: string | undefined;
    let resourceVersion: string | undefined;
    try {
      do {
        const page = await client.request<ListPage>({
          path,
          query: {
            limit: options.pageSize,
            continue: token,
            labelSelector: scope.labelSelector || undefined,
            fieldSelector: scope.fieldSelector || undefined,
          },
          signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.requestTimeoutMs)]),
        });
        options.onPage?.();
        for (const item of page.items ?? []) {
          item.apiVersion ??= scope.kind.apiVersion;
          item.kind ??= scope.kind.kind;
          items.push(item);
        }
        resourceVersion ??= page.metadata?.resourceVersion;
        token = page.metadata?.continue || undefined;
      } while (token);
    } catch (error) {
      if (error instanceof GoneError && token && restart < maxContinueRestarts) continue;
      throw error;
    }
    if (resourceVersion === undefined) throw new Error(`the LIST of ${path} returned no resourceVersion`);
    return { items, resourceVersion };
  }
}
