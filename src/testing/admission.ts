import type { WebhookKind } from "../admission/index.ts";
import { AdmissionEngine, applyPatch, type PatchOperation } from "../admission/index.ts";
import type { KubernetesObject } from "../k8s/index.ts";
import type { ModuleConfig } from "../model/index.ts";
import {
  type AdmissionRequest,
  type AdmissionResponse,
  admissionSkipReason,
  cloneJson,
  describeBinding,
  subjectOf,
} from "../model/index.ts";
import { Log, type Logger } from "../telemetry/index.ts";
import { type BindingTrace, tracedModule } from "./binding-trace.ts";
import { type CelBindingVerdict, reviewCelBindings } from "./cel-bindings.ts";
import { type ModuleUnderTest, moduleUnderTest, type TestTarget } from "./module-under-test.ts";
import { admissionRequest, type RequestInput } from "./requests.ts";

/** A binding the request did not reach, and why. */
export interface SkippedBinding {
  readonly binding: string;
  readonly reason: string;
}

/** What the module answered, in the terms a test asserts on. */
export interface AdmissionResult {
  /** `mutate`, `validate`, or `review` (mutate, then validate the mutated object, as the API server does). */
  readonly webhook: WebhookKind | "review";
  readonly request: AdmissionRequest;
  /** The raw AdmissionResponse(s), mutate first. */
  readonly responses: readonly AdmissionResponse[];
  readonly allowed: boolean;
  /** The denial's HTTP code (400 unless the callback chose one; 500 for a failing callback). */
  readonly code: number | undefined;
  readonly message: string | undefined;
  readonly warnings: readonly string[];
  /** The JSON patch (RFC 6902) the module returned, decoded; [] when it changed nothing. */
  readonly patch: readonly PatchOperation[];
  /** The object with the patch applied (for DELETE, the old object). */
  readonly patched: KubernetesObject;
  /** The bindings the request reached, in order. */
  readonly matched: readonly string[];
  /** The bindings of this webhook's kind of action the request did not reach, with the filter that stopped it. */
  readonly skipped: readonly SkippedBinding[];
  /** What each callback that ran did. */
  readonly trace: readonly BindingTrace[];
  /** What each ValidateCEL binding the request reached decided, offline, as the API server would (validate and review). */
  readonly cel: readonly CelBindingVerdict[];
}

export interface AdmissionTesterOptions {
  /** Overrides of a bare capability's module config (e.g. `{ onError: "audit" }`). */
  readonly config?: Partial<ModuleConfig>;
  /** Default: silent. */
  readonly logger?: Logger;
}

export interface AdmissionTester {
  readonly module: ModuleUnderTest;
  /** Runs the Mutate bindings only. */
  mutate(input: RequestInput | AdmissionRequest): Promise<AdmissionResult>;
  /** Runs the Validate bindings only. */
  validate(input: RequestInput | AdmissionRequest): Promise<AdmissionResult>;
  /** Mutate, then Validate on the mutated object: what a client of the API server sees. */
  review(input: RequestInput | AdmissionRequest): Promise<AdmissionResult>;
}

function decodePatch(response: AdmissionResponse): PatchOperation[] {
  if (!response.patch) return [];
  return JSON.parse(Buffer.from(response.patch, "base64").toString("utf8")) as PatchOperation[];
}

function withCel(
  reached: { matched: string[]; skipped: SkippedBinding[] },
  cel: ReturnType<typeof reviewCelBindings> | undefined,
): { matched: string[]; skipped: SkippedBinding[] } {
  if (!cel) return reached;
  return { matched: [...cel.matched, ...reached.matched], skipped: [...cel.skipped, ...reached.skipped] };
}

function isRequest(input: RequestInput | AdmissionRequest): input is AdmissionRequest {
  return "resource" in input && "uid" in input && "kind" in input;
}

/**
 * Runs admission requests through a module's real pipelines (`AdmissionEngine`: filters, error
 * policy, time budget, patch generation) without HTTP or a cluster. Reviews run one at a time.
 */
export function admissionTester(target: TestTarget, options: AdmissionTesterOptions = {}): AdmissionTester {
  const module = moduleUnderTest(target, options.config);
  const traced = tracedModule(module);
  const engine = new AdmissionEngine(traced.module, { logger: options.logger ?? Log.child({}, { level: "silent" }) });
  let queue: Promise<unknown> = Promise.resolve();

  const reach = (webhook: WebhookKind, request: AdmissionRequest) => {
    const matched: string[] = [];
    const skipped: SkippedBinding[] = [];
    for (const capability of module.capabilities) {
      for (const binding of capability.bindings) {
        if (!(webhook === "mutate" ? binding.isMutate : binding.isValidate)) continue;
        const reason = admissionSkipReason(binding, request, capability.namespaces, engine.context.ignoredNamespaces);
        if (reason) skipped.push({ binding: describeBinding(binding), reason });
        else matched.push(describeBinding(binding));
      }
    }
    return { matched, skipped };
  };

  const one = async (webhook: WebhookKind, request: AdmissionRequest): Promise<AdmissionResult> => {
    // ValidatingAdmissionPolicies run in the API server before the validating webhooks: a denial
    // there means no webhook is called.
    const cel =
      webhook === "validate" ? reviewCelBindings(module, request, engine.context.ignoredNamespaces) : undefined;
    if (cel?.denied) {
      const reached = reach(webhook, request);
      return {
        webhook,
        request,
        responses: [],
        allowed: false,
        code: cel.denied.verdict.code,
        message: cel.denied.verdict.message,
        warnings: cel.warnings,
        patch: [],
        patched: cloneJson(subjectOf(request) ?? {}) as KubernetesObject,
        matched: [...cel.matched, ...reached.matched],
        skipped: [...cel.skipped, ...reached.skipped],
        trace: [],
        cel: cel.verdicts,
      };
    }
    const response = await engine.review(webhook, request, performance.now());
    const patch = decodePatch(response);
    const original = cloneJson(subjectOf(request) ?? {});
    return {
      webhook,
      request,
      responses: [response],
      allowed: response.allowed,
      code: response.status?.code,
      message: response.status?.message,
      warnings: [...(cel?.warnings ?? []), ...(response.warnings ?? [])],
      patch,
      patched: applyPatch(original, patch) as KubernetesObject,
      ...withCel(reach(webhook, request), cel),
      trace: traced.take(),
      cel: cel?.verdicts ?? [],
    };
  };

  const both = async (request: AdmissionRequest): Promise<AdmissionResult> => {
    const mutated = await one("mutate", request);
    if (!mutated.allowed) return { ...mutated, webhook: "review" };
    const carriesObject = request.operation === "CREATE" || request.operation === "UPDATE";
    const validated = await one("validate", carriesObject ? { ...request, object: mutated.patched } : request);
    return {
      ...validated,
      webhook: "review",
      request,
      responses: [...mutated.responses, ...validated.responses],
      warnings: [...mutated.warnings, ...validated.warnings],
      patch: mutated.patch,
      patched: mutated.patched,
      matched: [...mutated.matched, ...validated.matched],
      skipped: [...mutated.skipped, ...validated.skipped],
      trace: [...mutated.trace, ...validated.trace],
      cel: validated.cel,
    };
  };

  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const next = queue.then(run, run);
    queue = next.catch(() => {});
    return next;
  };
  const build = (input: RequestInput | AdmissionRequest) =>
    isRequest(input) ? input : admissionRequest(input, module);

  return {
    module,
    mutate: (input) => serial(() => one("mutate", build(input))),
    validate: (input) => serial(() => one("validate", build(input))),
    review: (input) => serial(() => both(build(input))),
  };
}
