import { AsyncLocalStorage } from "node:async_hooks";
import type { ApiClient, ApiRequest } from "../k8s/index.ts";

/** A write `K8s()` sent as a server-side dry run inside `withDryRun`: method and path. */
export interface DryRunWrite {
  readonly method: string;
  readonly path: string;
}

/** What one `withDryRun` scope saw: every write its code attempted (each sent with `dryRun=All`). */
export interface DryRunScope {
  readonly writes: DryRunWrite[];
}

const scopes = new AsyncLocalStorage<DryRunScope>();

/**
 * Runs `fn` so that every write `K8s()` builds inside it (and in anything it starts, also after a
 * deadline abandoned it) goes to the API server as a server-side dry run (`dryRun=All`): validated
 * and admitted, never persisted. Reads are unchanged. `scope.writes` records the attempts.
 */
export function withDryRun<T>(scope: DryRunScope, fn: () => T): T {
  return scopes.run(scope, fn);
}

/** The dry-run scope the calling code runs in, if any. */
export function currentDryRunScope(): DryRunScope | undefined {
  return scopes.getStore();
}

/** `request` as a dry run: `dryRun=All` added to the query, or to the path when it already carries one (`Raw`). */
function dryRunRequest(request: ApiRequest): ApiRequest {
  if (request.path.includes("?")) return { ...request, path: `${request.path}&dryRun=All` };
  return { ...request, query: { ...request.query, dryRun: "All" } };
}

/**
 * `client` as code in `scope` must see it: every request other than GET is sent as a dry run and
 * recorded. Outside a scope, `client` itself.
 */
export function dryRunAware(client: ApiClient, scope: DryRunScope | undefined = currentDryRunScope()): ApiClient {
  if (!scope) return client;
  return new Proxy(client, {
    get(target, key) {
      if (key === "request") {
        return <T>(request: ApiRequest): Promise<T> => {
          const method = request.method ?? "GET";
          if (method === "GET") return target.request<T>(request);
          scope.writes.push({ method, path: request.path });
          return target.request<T>(dryRunRequest(request));
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
