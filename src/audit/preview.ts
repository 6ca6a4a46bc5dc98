import type { AdmissionModule, PatchOperation } from "../admission/index.ts";
import type { DryRunWrite } from "../fluent/index.ts";
import {
  type ApiClient,
  ApiError,
  GoneError,
  type KubernetesObject,
  NotFoundError,
  type ResolvedKind,
  resourcePath,
} from "../k8s/index.ts";
import type { Logger } from "../telemetry/index.ts";
import { type BindingEvaluation, ModuleEvaluator } from "./evaluate.ts";

/** What a binding would do to one existing object, when it would do anything. */
export type PreviewOutcome = "deny" | "warn" | "mutate" | "error";

/** Which binding, and where: what a finding and a row share. */
export interface PreviewPlace {
  readonly rule: string;
  readonly capability: string;
  readonly binding: string;
  readonly action: "validate" | "mutate";
  readonly kind: string;
  /** "" for cluster-scoped objects. */
  readonly namespace: string;
}

/** One object a binding would deny, warn about, mutate or fail on. */
export interface PreviewFinding extends PreviewPlace {
  readonly name: string;
  readonly outcome: PreviewOutcome;
  readonly message?: string;
  readonly warnings?: readonly string[];
  readonly patch?: readonly PatchOperation[];
  /** K8s() writes the callback attempted, each sent as a server-side dry run (nothing was written). */
  readonly dryRunWrites?: readonly DryRunWrite[];
}

/** The counts of one binding in one namespace. */
export interface PreviewRow extends PreviewPlace {
  /** Objects the binding's filters select (evaluated). */
  evaluated: number;
  pass: number;
  deny: number;
  warn: number;
  mutate: number;
  error: number;
  /** Callbacks that attempted K8s() writes (sent as dry runs). */
  dryRunWrites: number;
}

export interface PreviewReport {
  /** Objects listed (of the kinds the bindings select). */
  readonly objects: number;
  /** One row per binding and namespace with at least one selected object, sorted by rule, then namespace. */
  readonly rows: readonly PreviewRow[];
  /** Every deny, warn, mutate and error, in row order. */
  readonly findings: readonly PreviewFinding[];
  /** Kinds bindings select that the cluster does not serve (no CRD yet): `<Kind> (<apiVersion>)`; none of their objects exist. */
  readonly unserved: readonly string[];
  readonly totals: {
    readonly evaluated: number;
    readonly pass: number;
    readonly deny: number;
    readonly warn: number;
    readonly mutate: number;
    readonly error: number;
  };
  readonly ms: number;
}

export interface PreviewProgress {
  readonly done: number;
  /** The best estimate so far (the API server's remainingItemCount); grows as kinds are listed. */
  readonly total: number;
}

export interface PreviewOptions {
  /** A client for the cluster to read: only GET requests are made (callbacks' writes are dry runs). */
  readonly client: ApiClient;
  /** Only these namespaces (default: every namespace; cluster-scoped kinds are always listed). */
  readonly namespaces?: readonly string[];
  /** Objects per LIST page. Default 500. */
  readonly pageSize?: number;
  /** Objects evaluated at once. Default 32. */
  readonly concurrency?: number;
  readonly logger?: Logger;
  readonly onProgress?: (progress: PreviewProgress) => void;
}

interface ListPage {
  metadata?: { continue?: string; remainingItemCount?: number };
  items?: KubernetesObject[];
}

/**
 * `capstan preview`'s work: lists, page by page, every object of the kinds the module's Validate and
 * Mutate bindings select, runs each binding on each object it selects exactly as admission would
 * (`ModuleEvaluator`), and counts what would be denied, warned about, mutated or fail. Nothing is
 * registered and nothing is written: the client only reads, and callbacks' K8s() writes are dry runs.
 */
export async function runPreview(module: AdmissionModule, options: PreviewOptions): Promise<PreviewReport> {
  const started = performance.now();
  const evaluator = new ModuleEvaluator(module, {
    actions: "validate+mutate",
    username: "capstan:preview",
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const rows = new Map<string, PreviewRow>();
  const findings: PreviewFinding[] = [];
  const unserved: string[] = [];
  const pageSize = options.pageSize ?? 500;
  const concurrency = Math.max(1, options.concurrency ?? 32);
  let done = 0;
  let listed = 0;
  const record = (kind: ResolvedKind, object: KubernetesObject, evaluation: BindingEvaluation) => {
    if (evaluation.result === "skip") return;
    const { binding } = evaluation;
    const namespace = object.metadata?.namespace ?? "";
    const action = binding.action === "mutate" ? "mutate" : "validate";
    const key = `${binding.capability}\u0000${binding.name}\u0000${namespace}`;
    const place: PreviewPlace = {
      rule: evaluation.rule,
      capability: binding.capability,
      binding: binding.name,
      action,
      kind: kind.kind,
      namespace,
    };
    let row = rows.get(key);
    if (!row) {
      row = {
        ...place,
        evaluated: 0,
        pass: 0,
        deny: 0,
        warn: 0,
        mutate: 0,
        error: 0,
        dryRunWrites: 0,
      };
      rows.set(key, row);
    }
    row.evaluated++;
    if (evaluation.dryRunWrites.length > 0) row.dryRunWrites++;
    const outcome = outcomeOf(evaluation);
    if (!outcome) {
      row.pass++;
      return;
    }
    row[outcome]++;
    findings.push({
      ...place,
      name: object.metadata?.name ?? "",
      outcome,
      ...(evaluation.message ? { message: evaluation.message } : {}),
      ...(evaluation.warnings.length > 0 ? { warnings: evaluation.warnings } : {}),
      ...(evaluation.patch ? { patch: evaluation.patch } : {}),
      ...(evaluation.dryRunWrites.length > 0 ? { dryRunWrites: evaluation.dryRunWrites } : {}),
    });
  };

  const scopes = options.namespaces && options.namespaces.length > 0 ? options.namespaces : [undefined];
  for (const kind of evaluator.kinds()) {
    for (const namespace of kind.namespaced ? scopes : [undefined]) {
      const path = resourcePath(kind, { namespace });
      let token: string | undefined;
      do {
        const page = await listPage(options.client, kind, path, pageSize, token);
        if (!page) {
          const name = `${kind.kind} (${kind.apiVersion})`;
          if (!unserved.includes(name)) unserved.push(name);
          break;
        }
        const items = page.items ?? [];
        listed += items.length;
        const total = listed + (page.metadata?.remainingItemCount ?? 0);
        token = page.metadata?.continue || undefined;
        for (const item of items) {
          item.apiVersion ??= kind.apiVersion;
          item.kind ??= kind.kind;
        }
        await inBatches(items, concurrency, async (item) => {
          for (const evaluation of await evaluator.evaluate(kind, item)) record(kind, item, evaluation);
          done++;
          options.onProgress?.({ done, total: Math.max(total, done) });
        });
      } while (token);
    }
  }

  const sorted = [...rows.values()].sort(
    (x, y) => x.rule.localeCompare(y.rule) || x.namespace.localeCompare(y.namespace) || x.kind.localeCompare(y.kind),
  );
  const order = new Map(sorted.map((row, i) => [`${row.capability}\u0000${row.binding}\u0000${row.namespace}`, i]));
  const rank = (f: PreviewFinding) => order.get(`${f.capability}\u0000${f.binding}\u0000${f.namespace}`) ?? 0;
  findings.sort((x, y) => rank(x) - rank(y) || x.name.localeCompare(y.name));
  const sum = (field: "evaluated" | "pass" | "deny" | "warn" | "mutate" | "error") =>
    sorted.reduce((total, row) => total + row[field], 0);
  return {
    objects: done,
    rows: sorted,
    findings,
    unserved,
    totals: {
      evaluated: sum("evaluated"),
      pass: sum("pass"),
      deny: sum("deny"),
      warn: sum("warn"),
      mutate: sum("mutate"),
      error: sum("error"),
    },
    ms: performance.now() - started,
  };
}

/**
 * One LIST page; undefined when the cluster does not serve the kind (404 on the collection). A refusal
 * names the kind and the permission the preview needs.
 */
async function listPage(
  client: ApiClient,
  kind: ResolvedKind,
  path: string,
  limit: number,
  token: string | undefined,
): Promise<ListPage | undefined> {
  try {
    return await client.request<ListPage>({ path, query: { limit, continue: token } });
  } catch (error) {
    if (error instanceof NotFoundError && !token) return undefined;
    if (error instanceof GoneError && token) {
      throw new Error(
        `the paged LIST of ${path} expired while the preview ran (the API server keeps a continue token for about 5 minutes): run it again, with a larger --page-size or --namespace to finish sooner`,
      );
    }
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      const group = kind.group || "core";
      throw new Error(
        `cannot list ${kind.plural} (${kind.kind}, group ${group}) at ${path}: ${error.reason}. The preview needs "list" on the kinds the module's bindings select; use a kubeconfig or context with that right, or --namespace for namespaces it may list`,
      );
    }
    throw error;
  }
}

/** What an evaluation would do, in preview's terms; undefined = nothing (allowed, unchanged). */
function outcomeOf(evaluation: BindingEvaluation): PreviewOutcome | undefined {
  switch (evaluation.result) {
    case "fail":
      return "deny";
    case "warn":
      return "warn";
    case "error":
      return "error";
    default:
      return evaluation.patch ? "mutate" : undefined;
  }
}

/** Runs `work` on every item, at most `limit` at once. */
async function inBatches<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
