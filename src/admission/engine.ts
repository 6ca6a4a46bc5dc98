import type { AdmissionRequest, AdmissionResponse, Binding, Capability, PeprModuleOptions } from "../model/index.ts";
import {
  admissionIgnoredNamespaces,
  enforcementOf,
  type Flavor,
  finalizerAdder,
  flavorNames,
  flavorOf,
  type ModuleConfig,
  shouldSkipAdmission,
} from "../model/index.ts";
import { currentSpan, inSpan, jsonString, Log, type Logger, SpanKind, tracingEnabled } from "../telemetry/index.ts";
import { bindingLogger, type Decision, type PipelineAction, type PipelineContext } from "./context.ts";
import { peprMutate, peprValidate, requestDecisions, requestDuration, type WebhookKind } from "./metrics.ts";
import { mutateRequest } from "./mutate.ts";
import { logIncoming, logOutgoing, logRequestLine, NO_IN_SCOPE_VALIDATIONS, writersOf } from "./pepr-lines.ts";
import { admissionRecord, RECORD_MESSAGE } from "./recording.ts";
import { joinValidateResponses, validateRequest } from "./validate.ts";

/** The parts of a `PeprModule` admission needs. */
export interface AdmissionModule {
  readonly config: ModuleConfig;
  readonly capabilities: readonly Capability[];
  readonly options?: PeprModuleOptions;
}

export interface AdmissionEngineOptions {
  readonly logger?: Logger;
  /** Namespaces to ignore beyond the module config (e.g. from PEPR_ADDITIONAL_IGNORED_NAMESPACES). */
  readonly extraIgnoredNamespaces?: readonly string[];
  /** Time kept back from `webhookTimeout` for answering. Default: 10% of it, at least 500 ms, at most 1 s. */
  readonly marginMs?: number;
  /** Log an "admission record" line (the redacted request and the answer) per request, for `--record`. Default false. */
  readonly record?: boolean;
}

/** `<uuid>.pepr.dev/` or `<uuid>.capstan.dev/`: the prefix of the per-capability mutation status annotation. */
export function statusAnnotationPrefix(uuid: string, flavor: Flavor): string {
  return flavorNames(flavor).statusAnnotationPrefix(uuid);
}

/** A Finalize binding's mutate half adds the module's own finalizer (`pepr.dev/finalizer` in Pepr mode). */
function withModuleFinalizer(binding: Binding, flavor: Flavor): Binding {
  if (binding.action !== "finalize-mutate" || flavor === "capstan") return binding;
  return { ...binding, mutateCallback: finalizerAdder(flavorNames(flavor).finalizer) as Binding["mutateCallback"] };
}

function kindKey(group: string, kind: string): string {
  return `${group}/${kind}`;
}

/**
 * A module's admission logic, independent of HTTP: the bindings indexed by kind, the error
 * policy and the time budget. `review` decides one request.
 */
export class AdmissionEngine {
  readonly context: PipelineContext;
  readonly budgetMs: number;
  readonly #mutate = new Map<string, PipelineAction[]>();
  readonly #validate = new Map<string, PipelineAction[]>();
  readonly module: AdmissionModule;
  readonly #record: boolean;

  constructor(module: AdmissionModule, options: AdmissionEngineOptions = {}) {
    this.module = module;
    this.#record = options.record ?? false;
    const flavor = flavorOf(module.config);
    const timeoutSeconds = module.config.webhookTimeout ?? 10;
    const timeoutMs = timeoutSeconds * 1000;
    this.budgetMs = timeoutMs - (options.marginMs ?? Math.min(1000, Math.max(500, timeoutMs * 0.1)));
    const logger = options.logger ?? Log;
    this.context = {
      onError: module.config.onError,
      ignoredNamespaces: [...admissionIgnoredNamespaces(module.config), ...(options.extraIgnoredNamespaces ?? [])],
      logger,
      requestLogger: logger.child({}, { redact: [] }),
      statusAnnotationPrefix: statusAnnotationPrefix(module.config.uuid, flavor),
      flavor,
      timeoutSeconds,
      beforeHook: module.options?.beforeHook,
      afterHook: module.options?.afterHook,
    };
    for (const capability of module.capabilities) {
      for (const registered of capability.bindings) {
        const binding = withModuleFinalizer(registered, flavor);
        const index = binding.isMutate ? this.#mutate : binding.isValidate ? this.#validate : undefined;
        if (!index) continue;
        const key = kindKey(binding.kind.group, binding.kind.kind);
        const list = index.get(key) ?? [];
        const enforcement = binding.isValidate ? enforcementOf(module.config, binding) : "enforce";
        list.push({
          binding,
          capabilityNamespaces: capability.namespaces,
          logger: bindingLogger(this.context.logger, binding),
          ...(enforcement === "enforce" ? {} : { enforcement }),
        });
        index.set(key, list);
      }
    }
  }

  #hook(name: string, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.context.logger.error({ err: error }, `${name} threw; the request is decided without it`);
    }
  }

  /** The answer when no binding matched; Pepr mode answers as Pepr does (empty `warnings`; "no in-scope validations"). */
  #unmatched(webhook: WebhookKind, request: AdmissionRequest): AdmissionResponse {
    const { uid } = request;
    if (this.context.flavor !== "pepr") return { uid, allowed: true };
    if (webhook === "validate") {
      logRequestLine(this.context.requestLogger, request, "Processing validation request");
      return { uid, allowed: true, status: { code: 200, message: NO_IN_SCOPE_VALIDATIONS } };
    }
    logRequestLine(this.context.requestLogger, request, "Processing request");
    logRequestLine(this.context.requestLogger, request, "No matching actions found");
    return { uid, warnings: [], allowed: true };
  }

  /**
   * capstan: `afterHook` sees each answer once. Pepr mode, as Pepr: a mutate answer once; a validate
   * answer once per matched binding, with that binding's own answer (not at all when none matched),
   * and the answer is joined from those afterwards, so what the hook changes counts.
   */
  #afterHook(
    webhook: WebhookKind,
    decision: Decision,
    afterHook: (response: AdmissionResponse) => void,
  ): AdmissionResponse {
    const { response, actionResponses } = decision;
    if (this.context.flavor !== "pepr" || webhook === "mutate" || !actionResponses) {
      this.#hook("afterHook", () => afterHook(response));
      return response;
    }
    if (actionResponses.length === 0) return response;
    for (const answer of actionResponses) this.#hook("afterHook", () => afterHook(answer));
    const { status: _status, warnings: _warnings, ...rest } = response;
    return { ...rest, ...joinValidateResponses(response.uid, actionResponses) };
  }

  /** Whether any binding needs this webhook. */
  has(webhook: WebhookKind): boolean {
    return (webhook === "mutate" ? this.#mutate : this.#validate).size > 0;
  }

  /** Decides one request; `receivedAt` (performance.now()) starts the time budget. */
  async review(webhook: WebhookKind, request: AdmissionRequest, receivedAt: number): Promise<AdmissionResponse> {
    if (!tracingEnabled()) return this.#review(webhook, request, receivedAt);
    const attributes = {
      "capstan.webhook": webhook,
      "capstan.admission.uid": request.uid,
      "capstan.admission.operation": request.operation,
      "capstan.admission.kind": request.kind.kind,
      ...(request.namespace ? { "capstan.admission.namespace": request.namespace } : {}),
    };
    const name = `admission ${webhook} ${request.operation} ${request.kind.kind}`;
    return inSpan(
      name,
      attributes,
      async (span) => {
        const response = await this.#review(webhook, request, receivedAt);
        span?.setAttributes({
          "capstan.admission.allowed": response.allowed,
          "capstan.admission.patch_bytes": response.patch ? Math.floor((response.patch.length * 3) / 4) : 0,
        });
        return response;
      },
      SpanKind.SERVER,
    );
  }

  async #review(webhook: WebhookKind, request: AdmissionRequest, receivedAt: number): Promise<AdmissionResponse> {
    const { context } = this;
    const { beforeHook, afterHook } = context;
    const pepr = context.flavor === "pepr";
    if (pepr) logIncoming(this.context.requestLogger, webhook, request);
    if (beforeHook) this.#hook("beforeHook", () => beforeHook(request));
    const index = webhook === "mutate" ? this.#mutate : this.#validate;
    const matched = (index.get(kindKey(request.kind.group, request.kind.kind)) ?? []).filter(
      (action) => !shouldSkipAdmission(action.binding, request, action.capabilityNamespaces, context.ignoredNamespaces),
    );
    currentSpan()?.setAttribute(
      "capstan.bindings",
      matched.map((action) => `${action.binding.capability}/${action.binding.name}`),
    );
    const pipeline = webhook === "mutate" ? mutateRequest : validateRequest;
    const decision: Decision =
      matched.length === 0
        ? { response: this.#unmatched(webhook, request), actionResponses: [] }
        : await pipeline(context, matched, request, receivedAt + this.budgetMs);
    const { patch } = decision;
    const response = afterHook ? this.#afterHook(webhook, decision, afterHook) : decision.response;
    if (pepr) {
      const checked = webhook === "mutate" ? [response] : (decision.actionResponses ?? [response]);
      logOutgoing(this.context.requestLogger, request, checked, response);
    }
    const seconds = (performance.now() - receivedAt) / 1000;
    requestDuration.observe({ webhook }, seconds);
    (webhook === "mutate" ? peprMutate : peprValidate).observe(seconds * 1000);
    requestDecisions.inc({ webhook, operation: request.operation, result: response.allowed ? "allowed" : "denied" });
    if (this.context.requestLogger.isLevelEnabled("info")) {
      // What the patch does, for `capstan monitor`; never for Secrets, whose patches carry values.
      const patchJson =
        patch && request.kind.kind !== "Secret" ? (decision.patchJson ?? JSON.stringify(patch)) : undefined;
      writersOf(this.context.requestLogger).info(
        `,"requestId":${jsonString(request.uid)},"webhook":"${webhook}","operation":${jsonString(request.operation)}` +
          `,"kind":${jsonString(request.kind.kind)}` +
          (request.namespace === undefined ? "" : `,"namespace":${jsonString(request.namespace)}`) +
          (request.name === undefined ? "" : `,"name":${jsonString(request.name)}`) +
          (typeof response.allowed === "boolean" ? `,"allowed":${response.allowed}` : "") +
          `,"patched":${response.patch !== undefined}` +
          (patchJson === undefined ? "" : `,"patch":${patchJson}`) +
          (response.status ? `,"status":${JSON.stringify(response.status)}` : "") +
          `,"ms":${Math.round(seconds * 10_000) / 10}`,
        "admission decision",
      );
      if (this.#record) this.context.requestLogger.info(admissionRecord(webhook, request, response), RECORD_MESSAGE);
    }
    return response;
  }
}
