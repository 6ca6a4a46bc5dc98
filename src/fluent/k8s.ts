import type { ApiClient } from "../k8s/index.ts";
import {
  ConflictError,
  type KindClass,
  type KubernetesObject,
  kindOf,
  NotFoundError,
  type ResolvedKind,
  resourcePath,
} from "../k8s/index.ts";
import { defaultClient } from "./default-client.ts";
import { dryRunAware } from "./dry-run.ts";
import { readLogs } from "./logs.ts";
import type { Filters, KubernetesListObject, Operation, PartialDeep, Paths, WatchAction, WatchCfg } from "./types.ts";
import { Watcher } from "./watcher.ts";

/**
 * The server-side-apply field manager of `K8s().Apply` in this process: "capstan", or "pepr" once
 * the runtime loads a Pepr-mode module (so fields Pepr applied stay this module's to change).
 */
export let fieldManager = "capstan";

/** Sets the field manager `K8s().Apply` uses from now on in this process (the module runtime does). */
export function setFieldManager(name: string): void {
  if (!name) throw new Error("A field manager name must not be empty");
  fieldManager = name;
}

/** What `K8s(model)` returns: filters first, then one action. */
export interface K8sInit<K extends KubernetesObject> {
  /** Only once, and before other filters. */
  InNamespace(namespace: string): K8sFiltered<K>;
  WithLabel(key: string, value?: string): K8sFiltered<K>;
  WithField(path: Paths<K>, value: string): K8sFiltered<K>;
  Get(): Promise<KubernetesListObject<K>>;
  Get(name: string): Promise<K>;
  /** Server-side apply with field manager `fieldManager` (`pepr` for a Pepr-mode module); without `force`, a field owned by another manager raises ConflictError. */
  Apply(resource: PartialDeep<K>, options?: { force?: boolean }): Promise<K>;
  Create(resource: K): Promise<K>;
  Patch(operations: Operation[]): Promise<K>;
  PatchStatus(resource: PartialDeep<K>): Promise<K>;
  /** A missing object is not an error. */
  Delete(filter?: K | string): Promise<void>;
  Evict(filter?: K | string): Promise<void>;
  Logs(name?: string): Promise<string[]>;
  /** GET through the API server's proxy to a Pod, Service or Node (`port` picks a named or numbered port); returns the body as text. */
  Proxy(name?: string, port?: string): Promise<string>;
  Scale(replicas: number, name?: string): Promise<void>;
  Finalize(operation: "add" | "remove", finalizer: string, name?: string): Promise<void>;
  Raw(url: string, method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE"): Promise<unknown>;
  Watch(callback: WatchAction<K>, cfg?: WatchCfg): Watcher<K>;
}
export type K8sFiltered<K extends KubernetesObject> = Omit<K8sInit<K>, "InNamespace">;

export interface K8sOptions {
  /** The API client to use instead of the shared default one. */
  readonly client?: ApiClient;
}

/** Pepr's fluent client: `K8s(a.Pod).InNamespace("x").WithLabel("app", "web").Get()`. */
export function K8s<T extends KindClass, K extends KubernetesObject = InstanceType<T>>(
  model: T,
  filters: Filters = {},
  options: K8sOptions = {},
): K8sInit<K> {
  const kind = kindOf(model, filters.kindOverride);
  // Inside `withDryRun` (audit, preview) every write is a server-side dry run; see dry-run.ts.
  const client = async () => dryRunAware(options.client ?? (await defaultClient()));
  return fluent<K>(kind, filters, client);
}

function fluent<K extends KubernetesObject>(
  kind: ResolvedKind,
  filters: Filters,
  getClient: () => Promise<ApiClient>,
): K8sInit<K> {
  const withFilters = (more: Filters) => fluent<K>(kind, { ...filters, ...more }, getClient);
  const labelSelector = () =>
    Object.entries(filters.labels ?? {})
      .map(([key, value]) => (value ? `${key}=${value}` : key))
      .join(",") || undefined;
  const fieldSelector = () =>
    Object.entries({ ...filters.fields, ...(filters.name ? { "metadata.name": filters.name } : {}) })
      .map(([path, value]) => `${path}=${value}`)
      .join(",") || undefined;

  /** The path of one object, insisting on a name and (for namespaced kinds) a namespace. */
  const objectPath = (
    action: string,
    name: string | undefined,
    namespace: string | undefined,
    subresource?: string,
  ) => {
    if (!name)
      throw new Error(`${kind.kind} ${action} needs a name: pass one, or set it in K8s(${kind.kind}, { name })`);
    if (kind.namespaced && !namespace) {
      throw new Error(
        `${kind.kind} ${action} of "${name}" needs a namespace: call InNamespace(ns) or set metadata.namespace`,
      );
    }
    return resourcePath(kind, { namespace, name, subresource });
  };
  const targetOf = (filter: KubernetesObject | string | undefined) =>
    typeof filter === "string"
      ? { name: filter, namespace: filters.namespace }
      : { name: filter?.metadata?.name ?? filters.name, namespace: filter?.metadata?.namespace ?? filters.namespace };
  const ignoreNotFound = (error: unknown) => {
    if (!(error instanceof NotFoundError)) throw error;
  };

  async function get(name?: string): Promise<K | KubernetesListObject<K>> {
    const client = await getClient();
    const single = name ?? filters.name;
    if (single && !filters.fields && !filters.labels) {
      return client.request<K>({ path: objectPath("Get", single, filters.namespace) });
    }
    const list = await client.request<KubernetesListObject<K>>({
      path: resourcePath(kind, { namespace: filters.namespace }),
      query: { labelSelector: labelSelector(), fieldSelector: fieldSelector() },
    });
    for (const item of list.items) {
      item.apiVersion ??= kind.apiVersion;
      item.kind ??= kind.kind;
    }
    return list;
  }

  async function apply(resource: PartialDeep<K>, applyOptions: { force?: boolean } = {}): Promise<K> {
    const input = resource as KubernetesObject;
    const name = input.metadata?.name ?? filters.name;
    const namespace = kind.namespaced ? (input.metadata?.namespace ?? filters.namespace) : undefined;
    const body = {
      ...input,
      apiVersion: input.apiVersion ?? kind.apiVersion,
      kind: input.kind ?? kind.kind,
      metadata: { ...input.metadata, name, ...(namespace ? { namespace } : {}) },
    };
    return (await getClient()).request<K>({
      method: "PATCH",
      path: objectPath("Apply", name, namespace),
      query: { fieldManager, fieldValidation: "Strict", force: applyOptions.force ?? false },
      contentType: "application/apply-patch+yaml",
      body,
    });
  }

  async function finalize(operation: "add" | "remove", finalizer: string, name?: string): Promise<void> {
    const client = await getClient();
    const path = objectPath("Finalize", name ?? filters.name, filters.namespace);
    // A merge patch carrying the resourceVersion read: the server rejects it (409) if the object
    // changed in between, so a concurrent finalizer change is never lost; then read and try again.
    for (let attempt = 1; ; attempt++) {
      const object = await client.request<KubernetesObject>({ path });
      const current = object.metadata?.finalizers ?? [];
      if (current.includes(finalizer) === (operation === "add")) return;
      const finalizers = operation === "add" ? [...current, finalizer] : current.filter((f) => f !== finalizer);
      try {
        await client.request({
          method: "PATCH",
          path,
          contentType: "application/merge-patch+json",
          body: { metadata: { resourceVersion: object.metadata?.resourceVersion, finalizers } },
        });
        return;
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= 5) throw error;
      }
    }
  }

  const init: K8sInit<K> = {
    InNamespace(namespace) {
      if (filters.namespace) throw new Error(`Namespace already specified: ${filters.namespace}`);
      return withFilters({ namespace });
    },
    WithLabel(key, value = "") {
      return withFilters({ labels: { ...filters.labels, [key]: value } });
    },
    WithField(path, value) {
      return withFilters({ fields: { ...filters.fields, [path]: value } });
    },
    Get: get as K8sInit<K>["Get"],
    Apply: apply,
    async Create(resource) {
      const namespace = resource.metadata?.namespace ?? filters.namespace;
      return (await getClient()).request<K>({
        method: "POST",
        path: resourcePath(kind, { namespace }),
        body: { apiVersion: kind.apiVersion, kind: kind.kind, ...resource },
      });
    },
    async Patch(operations) {
      if (operations.length === 0) throw new Error("No operations specified");
      return (await getClient()).request<K>({
        method: "PATCH",
        path: objectPath("Patch", filters.name, filters.namespace),
        contentType: "application/json-patch+json",
        body: operations,
      });
    },
    async PatchStatus(resource) {
      const { name, namespace } = targetOf(resource as KubernetesObject);
      return (await getClient()).request<K>({
        method: "PATCH",
        path: objectPath("PatchStatus", name, namespace, "status"),
        contentType: "application/merge-patch+json",
        body: { status: (resource as { status?: unknown }).status },
      });
    },
    async Delete(filter) {
      const { name, namespace } = targetOf(filter);
      const client = await getClient();
      await client.request({ method: "DELETE", path: objectPath("Delete", name, namespace) }).catch(ignoreNotFound);
    },
    async Evict(filter) {
      if (kind.kind !== "Pod") throw new Error(`Evict works only on Pods, not ${kind.kind}`);
      const { name, namespace } = targetOf(filter);
      const path = objectPath("Evict", name, namespace, "eviction");
      const body = { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace } };
      await (await getClient()).request({ method: "POST", path, body }).catch(ignoreNotFound);
    },
    async Logs(name) {
      const target = name ?? filters.name;
      if (!filters.namespace) throw new Error(`Logs needs a namespace: call K8s(${kind.kind}).InNamespace(ns) first`);
      if (!target) throw new Error(`Logs needs the name of the ${kind.kind}`);
      return readLogs(await getClient(), kind, filters.namespace, target);
    },
    async Proxy(name, port) {
      if (!["Pod", "Service", "Node"].includes(kind.kind))
        throw new Error(`Proxy works on Pods, Services and Nodes, not ${kind.kind}`);
      const target = name ?? filters.name;
      const path = objectPath("Proxy", target && port ? `${target}:${port}` : target, filters.namespace, "proxy");
      return (await (await getClient()).request<string | undefined>({ path, accept: "*/*" })) ?? "";
    },
    async Scale(replicas, name) {
      if (!Number.isInteger(replicas) || replicas < 0) {
        throw new Error(`Scale needs a whole number of replicas >= 0, got ${replicas}`);
      }
      await (await getClient()).request({
        method: "PATCH",
        path: objectPath("Scale", name ?? filters.name, filters.namespace, "scale"),
        contentType: "application/merge-patch+json",
        body: { spec: { replicas } },
      });
    },
    Finalize: finalize,
    async Raw(url, method = "GET") {
      const text = await (await getClient()).request<string>({ method, path: url, accept: "*/*" });
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    },
    Watch(callback, cfg) {
      const scope = {
        kind,
        namespace: filters.namespace,
        labelSelector: labelSelector(),
        fieldSelector: fieldSelector(),
      };
      return new Watcher<K>(getClient, scope, callback, cfg);
    },
  };
  return init;
}
