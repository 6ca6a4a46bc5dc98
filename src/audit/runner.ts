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
import { auditReport, MANAGED_BY, resultsKey } from "./report.ts";
import { REPORT_KINDS, reportCollection } from "./report-api.ts";
import { installReportCrds } from "./report-install.ts";

const FIELD_MANAGER = "capstan-audit";

export interface AuditRunnerOptions {
  readonly client: ApiClient;
  readonly module: AdmissionModule;
  readonly settings: AuditSettings;
  readonly logger?: Logger;
  /** Reports written at once. Default 8. */
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
  /** uid → the results last written (`resultsKey`; absent: no report of ours for it). */
  readonly #written = new Map<string, string>();
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
    const limit = this.#options.concurrency ?? 8;
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
      if (this.#written.has(uid)) await this.#delete(uid, namespace);
      return;
    }
    const key = resultsKey(evaluations);
    const before = this.#written.get(uid);
    if (before === key) return;
    const report = auditReport({ kind, object }, evaluations, {
      api: settings.reportApi,
      labels: this.#labels,
      enforcementOf: (e: BindingEvaluation) => enforcementOf(module.config, e.binding),
    });
    await this.#apply(uid, namespace, report);
    this.#written.set(uid, key);
    if (before) this.#logChange(kind, object, evaluations);
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
    await this.#options.client.request({ method: "DELETE", path }).catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error;
    });
    this.#written.delete(uid);
  }

  /** Deletes this module's reports whose object is no longer audited (a binding removed, a rule dropped from `audit`). */
  async #prune(): Promise<void> {
    const { client, settings } = this.#options;
    const selector = Object.entries({ ...MANAGED_BY, ...this.#labels })
      .map(([key, value]) => `${key}=${value}`)
      .join(",");
    const kinds = REPORT_KINDS[settings.reportApi];
    const base = `/apis/${kinds.group}/${kinds.version}`;
    for (const plural of [kinds.plural, kinds.clusterPlural]) {
      const list = await client.request<{ items: { metadata: { name: string; namespace?: string } }[] }>({
        path: `${base}/${plural}`,
        query: { labelSelector: selector },
      });
      for (const { metadata } of list.items) {
        if (this.#written.has(metadata.name)) continue;
        await client
          .request({
            method: "DELETE",
            path: `${reportCollection(settings.reportApi, metadata.namespace)}/${metadata.name}`,
          })
          .catch((error: unknown) => {
            if (!(error instanceof NotFoundError)) throw error;
          });
      }
    }
  }
}
