import { randomUUID } from "node:crypto";
import {
  AdmissionEngine,
  type AdmissionModule,
  decodeSecretData,
  diffJson,
  encodeSecretData,
  errorMessage,
  isSecretKind,
  type PatchOperation,
  runWithDeadline,
  undecodableKeys,
} from "../admission/index.ts";
import { type DryRunWrite, withDryRun } from "../fluent/index.ts";
import type { KubernetesObject, ResolvedKind } from "../k8s/index.ts";
import {
  type AdmissionRequest,
  admissionSkipReason,
  type Binding,
  cloneJson,
  type OnError,
  type Operation,
  operationsOf,
  PeprMutateRequest,
  PeprValidateRequest,
  ruleOf,
  type ValidateActionResponse,
  WorkingObject,
} from "../model/index.ts";
import { Log, type Logger } from "../telemetry/index.ts";

/** One binding's verdict on one existing object. */
export type EvaluationResult = "pass" | "fail" | "warn" | "error" | "skip";

/** What one Validate or Mutate binding did with one existing object. */
export interface BindingEvaluation {
  readonly binding: Binding;
  /** The binding's alias, else `<capability>/<name>`: the PolicyReport rule. */
  readonly rule: string;
  /**
   * pass: allowed (Validate) or changes nothing (Mutate); fail: Validate denied (`message`);
   * warn: Validate allowed with warnings, or an overrun that `onError` lets through;
   * error: the callback threw, answered nothing, or overran under `onError: reject`;
   * skip: the binding's filters do not select the object (`message` says why).
   */
  readonly result: EvaluationResult;
  readonly message?: string;
  /** The denial's HTTP code (Validate fail/error). */
  readonly code?: number;
  readonly warnings: readonly string[];
  /** Mutate: the JSON patch admission would return, without the capability status annotation; absent when it changes nothing. */
  readonly patch?: readonly PatchOperation[];
  /** Writes the callback attempted through `K8s()`: each was sent as a server-side dry run, nothing persisted. */
  readonly dryRunWrites: readonly DryRunWrite[];
  readonly ms: number;
}

export interface EvaluatorOptions {
  /** Which bindings run: `validate` (audit) or `validate+mutate` (preview). Default `validate`. */
  readonly actions?: "validate" | "validate+mutate";
  /** The logger callbacks receive. Default: silent. */
  readonly logger?: Logger;
  /** `userInfo.username` of the requests built from stored objects. Default `capstan:audit`. */
  readonly username?: string;
  /** Namespaces to ignore beyond the module config, as admission does. */
  readonly extraIgnoredNamespaces?: readonly string[];
}

interface Entry {
  readonly binding: Binding;
  readonly capabilityNamespaces: readonly string[];
}

const REDACTED_VALUE = "<redacted>";

function kindKey(group: string, kind: string): string {
  return `${group}/${kind}`;
}

/** The operation an existing object is judged under: UPDATE (old = new) if bound, else CREATE; DELETE-only bindings are not judged. */
function operationFor(binding: Binding): Operation | undefined {
  const operations = operationsOf(binding.event);
  if (operations.includes("UPDATE")) return "UPDATE";
  if (operations.includes("CREATE")) return "CREATE";
  return undefined;
}

/**
 * A module's Validate (and, for preview, Mutate) bindings run against objects that already exist,
 * one binding at a time, as admission would run them: the same filter code (`admissionSkipReason`
 * with the module's ignored namespaces), the same deadline (`AdmissionEngine.budgetMs`), the same
 * request wrappers. Every `K8s()` write a callback makes is a server-side dry run (`withDryRun`).
 * Nothing is counted in admission's metrics.
 */
export class ModuleEvaluator {
  readonly budgetMs: number;
  readonly #ignored: readonly string[];
  readonly #onError: OnError;
  readonly #statusPrefix: string;
  readonly #logger: Logger;
  readonly #username: string;
  readonly #byKind = new Map<string, Entry[]>();
  readonly #kinds = new Map<string, ResolvedKind>();

  constructor(module: AdmissionModule, options: EvaluatorOptions = {}) {
    this.#logger = options.logger ?? Log.child({}, { level: "silent" });
    const engine = new AdmissionEngine(module, {
      logger: this.#logger,
      extraIgnoredNamespaces: options.extraIgnoredNamespaces,
    });
    this.budgetMs = engine.budgetMs;
    this.#ignored = engine.context.ignoredNamespaces;
    this.#onError = engine.context.onError;
    this.#statusPrefix = engine.context.statusAnnotationPrefix;
    this.#username = options.username ?? "capstan:audit";
    const withMutate = options.actions === "validate+mutate";
    for (const capability of module.capabilities) {
      for (const binding of capability.bindings) {
        const wanted = binding.action === "validate" || (withMutate && binding.action === "mutate");
        if (!wanted || operationFor(binding) === undefined) continue;
        const key = kindKey(binding.kind.group, binding.kind.kind);
        const list = this.#byKind.get(key) ?? [];
        list.push({ binding, capabilityNamespaces: capability.namespaces });
        this.#byKind.set(key, list);
        if (!this.#kinds.has(key)) this.#kinds.set(key, binding.kind);
      }
    }
  }

  /** The kinds the evaluated bindings select (one entry per group and kind), to list or watch. */
  kinds(): readonly ResolvedKind[] {
    return [...this.#kinds.values()];
  }

  /** The evaluated bindings of a kind, in module order. */
  bindingsOf(kind: { group: string; kind: string }): readonly Binding[] {
    return (this.#byKind.get(kindKey(kind.group, kind.kind)) ?? []).map((entry) => entry.binding);
  }

  /**
   * Every evaluated binding of `kind` on `object`, concurrently (each under the full admission
   * budget, as admission runs Validate callbacks). Bindings whose filters do not select the object
   * come back as `skip`. `kind` is the object's resolved kind (its group, version and plural).
   */
  async evaluate(kind: ResolvedKind, object: KubernetesObject): Promise<BindingEvaluation[]> {
    const entries = this.#byKind.get(kindKey(kind.group, kind.kind)) ?? [];
    const requests = new Map<Operation, AdmissionRequest>();
    const requestFor = (operation: Operation) => {
      let request = requests.get(operation);
      if (!request) {
        request = this.#request(kind, object, operation);
        requests.set(operation, request);
      }
      return request;
    };
    return Promise.all(
      entries.map((entry) => {
        const request = requestFor(operationFor(entry.binding) as Operation);
        const reason = admissionSkipReason(entry.binding, request, entry.capabilityNamespaces, this.#ignored);
        if (reason) {
          const { binding } = entry;
          return {
            binding,
            rule: ruleOf(binding),
            result: "skip",
            message: reason,
            warnings: [],
            dryRunWrites: [],
            ms: 0,
          };
        }
        return entry.binding.action === "mutate"
          ? this.#mutate(entry.binding, request)
          : this.#validate(entry.binding, request);
      }),
    );
  }

  #request(kind: ResolvedKind, object: KubernetesObject, operation: Operation): AdmissionRequest {
    const gvk = { group: kind.group, version: kind.version, kind: kind.kind };
    const gvr = { group: kind.group, version: kind.version, resource: kind.plural };
    const namespace = object.metadata?.namespace;
    return {
      uid: randomUUID(),
      kind: gvk,
      resource: gvr,
      requestKind: gvk,
      requestResource: gvr,
      name: object.metadata?.name ?? "",
      ...(namespace ? { namespace } : {}),
      operation,
      userInfo: { username: this.#username },
      object,
      ...(operation === "UPDATE" ? { oldObject: object } : {}),
      dryRun: true,
    };
  }

  async #validate(binding: Binding, request: AdmissionRequest): Promise<BindingEvaluation> {
    const started = performance.now();
    const dryRun = { writes: [] as DryRunWrite[] };
    const object = cloneJson(request.object);
    if (isSecretKind(request.kind)) decodeSecretData(object as SecretObject);
    const wrapped = new PeprValidateRequest(request, object);
    const outcome = await withDryRun(dryRun, () =>
      runWithDeadline(() => binding.validateCallback?.(wrapped, this.#logger), this.budgetMs),
    );
    const base = { binding, rule: ruleOf(binding), dryRunWrites: dryRun.writes };
    const ms = performance.now() - started;
    if (outcome.kind === "failed") {
      const message = `Action failed with error: ${errorMessage(outcome.error)}`;
      return { ...base, result: "error", message, code: 500, warnings: [], ms };
    }
    if (outcome.kind === "overran") {
      // As admission: `onError: reject` denies; otherwise the request is admitted with a warning.
      const message = overran(binding, outcome.afterMs, this.budgetMs);
      if (this.#onError === "reject") return { ...base, result: "error", message, code: 500, warnings: [], ms };
      return { ...base, result: "warn", message, warnings: [message], ms };
    }
    return { ...base, ...verdictOf(outcome.value, request), ms };
  }

  async #mutate(binding: Binding, request: AdmissionRequest): Promise<BindingEvaluation> {
    const started = performance.now();
    const dryRun = { writes: [] as DryRunWrite[] };
    const original = request.object;
    const secret = isSecretKind(request.kind);
    const working = new WorkingObject(original, secret ? { decode: decodeSecretData } : {});
    const wrapped = new PeprMutateRequest(request, working);
    const outcome = await withDryRun(dryRun, () =>
      runWithDeadline(() => binding.mutateCallback?.(wrapped, this.#logger), this.budgetMs),
    );
    const base = { binding, rule: ruleOf(binding), dryRunWrites: dryRun.writes, warnings: [] };
    const ms = performance.now() - started;
    if (outcome.kind === "failed") {
      return { ...base, result: "error", message: `Action failed: ${errorMessage(outcome.error)}`, ms };
    }
    if (outcome.kind === "overran") {
      return { ...base, result: "error", message: overran(binding, outcome.afterMs, this.budgetMs), ms };
    }
    const result = working.peek();
    if (secret && working.isFull) encodeSecretData(result as SecretObject, undecodableKeys(original as SecretObject));
    const statusPath = `/metadata/annotations/${escapePointer(this.#statusPrefix)}`;
    const patch = diffJson(original, result).filter((op) => !op.path.startsWith(statusPath));
    if (patch.length === 0) return { ...base, result: "pass", ms };
    return { ...base, result: "pass", patch: secret ? patch.map(redactValue) : patch, ms };
  }
}

type SecretObject = KubernetesObject & { data?: Record<string, string> };

function escapePointer(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** A Secret's patch names what changes but never carries its values. */
function redactValue(op: PatchOperation): PatchOperation {
  return "value" in op && op.value !== undefined ? ({ ...op, value: REDACTED_VALUE } as PatchOperation) : op;
}

function overran(binding: Binding, afterMs: number, budgetMs: number): string {
  return `${ruleOf(binding)} did not finish within the admission deadline of ${Math.round(budgetMs)} ms (abandoned after ${Math.round(afterMs)} ms)`;
}

/** A Validate callback's answer as admission reads it (see admission/validate.ts). */
function verdictOf(
  answer: ValidateActionResponse | undefined,
  request: AdmissionRequest,
): Pick<BindingEvaluation, "result" | "message" | "code" | "warnings"> {
  if (!answer || typeof answer !== "object") {
    return {
      result: "error",
      code: 500,
      message: "Action failed with error: the Validate callback returned no answer (use Approve or Deny)",
      warnings: [],
    };
  }
  const warnings = answer.warnings ?? [];
  if (answer.allowed) return { result: warnings.length > 0 ? "warn" : "pass", warnings };
  const where = request.namespace ? ` in ${request.namespace} namespace.` : "";
  const message = answer.statusMessage || `Validation failed for ${request.kind.kind}/${request.name}${where}`;
  return { result: "fail", code: answer.statusCode || 400, message, warnings };
}
