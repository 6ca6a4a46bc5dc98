// The background audit: every Validate binding the `audit` setting names is evaluated against the
// objects its kind's shared informer holds: all of them once the cache has synced (which is every
// start, so also every new module version), then each object again when a watch event says it
// changed. No periodic rescan. Results go into one report per object (report.ts).
import type { AdmissionModule } from "../admission/index.ts";
import { scopeOf } from "../controller/index.ts";
import { type Informer, type InformerOptions, scopeKey, sharedInformer } from "../informer/index.ts";
import { type ApiClient, ApiError, type KubernetesObject, NotFoundError, type ResolvedKind } from "../k8s/index.ts";
import { type AuditSettings, enforcementOf, flavorNames, flavorOf, ruleOf } from "../model/index.ts";
import { Log, type Logger } from "../telemetry/index.ts";
import { type BindingEvaluation, ModuleEvaluator } from "./evaluate.ts";
import { auditReport, MANAGED_BY, RESULTS_ANNOTATION, resultsDigest } from "./report.ts";
import { REPORT_KINDS, reportCollection } from "./report-api.ts";
import { installReportCrds } from "./report-install.ts";

const FIELD_MANAGER = "capstan-audit";
/** Reports listed per page at start: their metadata only, so the listing stays small however many there are. */
const LIST_PAGE = 500;
const METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
const METADATA = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

interface ReportPage {
  readonly metadata?: { readonly continue?: string };
  readonly items?: readonly { readonly metadata: ReportMetadata }[];
}

interface ReportMetadata {
  readonly name: string;
  readonly namespace?: string;
  readonly annotations?: Record<string, string>;
}

export interface AuditRunnerOptions {
  readonly client: ApiClient;
  readonly module: AdmissionModule;
  readonly settings: AuditSettings;
  readonly logger?: Logger;
  /**
   * Reports written at once. Default 2: the API server sets the pace (4 in flight wrote 10,000 reports
   * in 72 s, 2 in 97 s), and every write more in flight is memory held until the next full collection.
   */
  readonly concurrency?: number;
  /** Namespaces to ignore beyond the module config, as admission does. */
  readonly extraIgnoredNamespaces?: readonly string[];
}

interface Pending {
  readonly kind: ResolvedKind;
  readonly object: KubernetesObject;
}

/** Per-object audit into policy reports; `start` resolves once every existing object has its report. */
export class AuditRunner {
  readonly #options: AuditRunnerOptions;
  readonly #evaluator: ModuleEvaluator;
  readonly #logger: Logger;
  readonly #labels: Record<string, string>;
  /** uid → the digest of the results this run wrote or found current (`resultsDigest`). */
  readonly #written = new Map<string, string>();
  /** The module's reports as they were at start, until the first pass is done: uid → digest and namespace. */
  #existing = new Map<string, { readonly digest: string; readonly namespace: string | undefined }>();
  readonly #pending = new Map<string, Pending>();
  /** Objects whose audit runs now: a newer event for one waits, so an older result never lands last. */
  readonly #running = new Set<string>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #informers: Informer[] = [];
  #active = 0;
  #idle: (() => void)[] = [];
  #closed = false;

  constructor(options: AuditRunnerOptions) {
    this.#options = options;
    this.#logger = options.logger ?? Log;
    this.#evaluator = new ModuleEvaluator(options.module, {
      actions: "validate",
      ...(options.extraIgnoredNamespaces ? { extraIgnoredNamespaces: options.extraIgnoredNamespaces } : {}),
    });
    const { config } = options.module;
    this.#labels = { [flavorNames(flavorOf(config)).uuidLabel]: config.uuid };
  }

  /** Installs the report CRDs when absent, audits every existing object, and removes reports of objects no longer audited. */
  async start(signal?: AbortSignal): Promise<void> {
    const { client, settings } = this.#options;
    await installReportCrds(client, settings.reportApi);
    this.#existing = await this.#listReports();
    for (const { kind, scope } of this.#scopes()) {
      const informer = sharedInformer(client, scope);
      if (!informer.started) informer.start();
      this.#informers.push(informer);
      this.#unsubscribe.push(
        informer.subscribe((event) => {
          const uid = event.object.metadata?.uid;
          if (!uid) return;
          if (event.type === "DELETED") {
            // The garbage collector deletes the report with its owner.
            this.#pending.delete(uid);
            this.#written.delete(uid);
            return;
          }
          this.#enqueue(uid, { kind, object: event.object });
        }),
      );
    }
    await Promise.all(this.#informers.map((informer) => informer.waitForSync(signal)));
    await this.#drained();
    await this.#prune();
    this.#logger.info(
      { reports: this.#written.size, informers: this.#informers.length },
      "audit: every existing object judged",
    );
  }

  /**
   * The informer scopes of the audited bindings, as the controller computes them (scopeOf): a kind
   * the module already watches in the same scope is read from the same cache, not a second one.
   */
  #scopes(): { kind: ResolvedKind; scope: InformerOptions }[] {
    const { module, settings } = this.#options;
    const scopes = new Map<string, { kind: ResolvedKind; scope: InformerOptions }>();
    for (const capability of module.capabilities) {
      for (const binding of capability.bindings) {
        if (binding.action !== "validate" || (settings.rules && !settings.rules.has(ruleOf(binding)))) continue;
        const scope = scopeOf(binding, capability.namespaces);
        scopes.set(scopeKey(scope), { kind: binding.kind, scope });
      }
    }
    return [...scopes.values()];
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#pending.clear();
    await this.#drained();
  }

  /** Resolves when no object waits and no write runs. */
  #drained(): Promise<void> {
    if (this.#active === 0 && this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #enqueue(uid: string, pending: Pending): void {
    if (this.#closed) return;
    this.#pending.set(uid, pending);
    this.#pump();
  }

  #pump(): void {
    const limit = this.#options.concurrency ?? 2;
    while (this.#active < limit && this.#pending.size > 0) {
      let next: string | undefined;
      for (const uid of this.#pending.keys()) {
        if (this.#running.has(uid)) continue;
        next = uid;
        break;
      }
      if (next === undefined) return;
      const pending = this.#pending.get(next) as Pending;
      this.#pending.delete(next);
      this.#running.add(next);
      this.#active++;
      void this.#audit(next, pending)
        .catch((error: unknown) => this.#logger.warn({ err: error, uid: next }, "audit: could not write a report"))
        .finally(() => {
          this.#running.delete(next);
          this.#active--;
          this.#pump();
          if (this.#active === 0 && this.#pending.size === 0) {
            for (const resolve of this.#idle.splice(0)) resolve();
          }
        });
    }
  }

  async #audit(uid: string, { kind, object }: Pending): Promise<void> {
    const { settings, module } = this.#options;
    const evaluations = (await this.#evaluator.evaluate(kind, object)).filter(
      (e) => e.result !== "skip" && (!settings.rules || settings.rules.has(e.rule)),
    );
    const namespace = kind.namespaced ? object.metadata?.namespace : undefined;
    if (evaluations.length === 0) {
      if (this.#written.has(uid) || this.#existing.has(uid)) await this.#delete(uid, namespace);
      return;
    }
    const digest = resultsDigest(evaluations);
    const before = this.#written.get(uid) ?? this.#existing.get(uid)?.digest;
    if (before !== digest) {
      const report = auditReport(
        { kind, object },
        evaluations,
        {
          api: settings.reportApi,
          labels: this.#labels,
          enforcementOf: (e: BindingEvaluation) => enforcementOf(module.config, e.binding),
        },
        digest,
      );
      await this.#apply(uid, namespace, report);
      if (this.#written.has(uid)) this.#logChange(kind, object, evaluations);
    }
    this.#written.set(uid, digest);
  }

  #logChange(kind: ResolvedKind, object: KubernetesObject, evaluations: readonly BindingEvaluation[]): void {
    for (const evaluation of evaluations) {
      this.#logger.info(
        {
          rule: evaluation.rule,
          result: evaluation.result,
          ...(evaluation.message ? { message: evaluation.message } : {}),
          kind: kind.kind,
          namespace: object.metadata?.namespace,
          name: object.metadata?.name,
        },
        "audit result",
      );
    }
  }

  async #apply(uid: string, namespace: string | undefined, report: Record<string, unknown>): Promise<void> {
    const path = `${reportCollection(this.#options.settings.reportApi, namespace)}/${uid}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#options.client.request({
          method: "PATCH",
          path,
          query: { fieldManager: FIELD_MANAGER, force: true },
          contentType: "application/apply-patch+yaml",
          body: report,
          // The answer is not read: its metadata alone keeps what crosses the wire (and the buffers held until GC) small.
          accept: METADATA,
          discardBody: true,
        });
        return;
      } catch (error) {
        // The owner (or its namespace) went away meanwhile: nothing to report.
        if (error instanceof NotFoundError || (error instanceof ApiError && error.reason === "NamespaceTerminating")) {
          return;
        }
        const retriable =
          !(error instanceof ApiError) || error.status === 409 || error.status === 429 || error.status >= 500;
        if (!retriable || attempt >= 5 || this.#closed) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }

  async #delete(uid: string, namespace: string | undefined): Promise<void> {
    const path = `${reportCollection(this.#options.settings.reportApi, namespace)}/${uid}`;
    await this.#options.client.request({ method: "DELETE", path, discardBody: true }).catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error;
    });
    this.#written.delete(uid);
    this.#existing.delete(uid);
  }

  /** This module's reports (namespaced and cluster), metadata only, page by page: uid → results digest. */
  async #listReports(): Promise<Map<string, { digest: string; namespace: string | undefined }>> {
    const { client, settings } = this.#options;
    const selector = Object.entries({ ...MANAGED_BY, ...this.#labels })
      .map(([key, value]) => `${key}=${value}`)
      .join(",");
    const kinds = REPORT_KINDS[settings.reportApi];
    const base = `/apis/${kinds.group}/${kinds.version}`;
    const reports = new Map<string, { digest: string; namespace: string | undefined }>();
    for (const plural of [kinds.plural, kinds.clusterPlural]) {
      let token: string | undefined;
      do {
        const page = await client.request<ReportPage>({
          path: `${base}/${plural}`,
          query: { labelSelector: selector, limit: LIST_PAGE, continue: token },
          accept: METADATA_LIST,
        });
        for (const { metadata } of page.items ?? []) {
          reports.set(metadata.name, {
            digest: metadata.annotations?.[RESULTS_ANNOTATION] ?? "",
            namespace: metadata.namespace,
          });
        }
        token = page.metadata?.continue || undefined;
      } while (token);
    }
    return reports;
  }

  /** Deletes this module's reports (as listed at start) whose object is no longer audited: a binding removed, a rule dropped from `audit`, the object gone. */
  async #prune(): Promise<void> {
    const existing = this.#existing;
    this.#existing = new Map();
    for (const [uid, { namespace }] of existing) {
      if (this.#written.has(uid)) continue;
      await this.#delete(uid, namespace);
    }
  }
}
