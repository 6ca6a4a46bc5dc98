import { isDeepStrictEqual } from "node:util";
import type { KubernetesObject } from "../k8s/index.ts";
import type { AdmissionRequest, AdmissionResponse, UserInfo } from "../model/index.ts";
import { cloneJson, isPlainObject } from "../model/index.ts";
import { applyPatch, type PatchOperation } from "./json-patch.ts";

/**
 * `capstan monitor --record` and `capstan dev --record` turn admission traffic into scenarios. The
 * module process logs one "admission record" line per webhook call, only when this variable is
 * `true`, with sensitive values replaced before the line is written.
 */
export const RECORD_ENV = "CAPSTAN_RECORD_ADMISSION";
export const RECORD_MESSAGE = "admission record";

/** Whether a JSON log line is an admission record (cheap: no parsing). */
export function isAdmissionRecordLine(line: string): boolean {
  return line.includes(`"msg":"${RECORD_MESSAGE}"`);
}

/** Whether the environment asks for records (the runtime reads its own; lower layers get an option). */
export function recordingRequested(env: NodeJS.ProcessEnv): boolean {
  return env[RECORD_ENV] === "true";
}

/** What replaces a sensitive string; `REDACTED_BASE64` in a Secret's `data`, so modules that decode it still can. */
export const REDACTED = "redacted";
export const REDACTED_BASE64 = Buffer.from(REDACTED).toString("base64");

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
/** Names of env vars (and similar name/value pairs) whose value is a credential. */
const SENSITIVE_NAME = /password|passwd|token|secret|api[-_]?key|private[-_]?key|credential/i;
/** Fields whose string value is a credential wherever they appear. */
const SENSITIVE_FIELD = new Set(["token", "password", "secret", "apiKey", "privateKey", "clientSecret"]);

export interface RecordedPatchOperation {
  readonly op: PatchOperation["op"];
  readonly path: string;
  readonly value?: unknown;
  /** The value is sensitive and left out: a replay cannot check it. */
  readonly redacted?: true;
}

/** The body of an "admission record" log line. */
export interface AdmissionRecord {
  readonly webhook: "mutate" | "validate";
  readonly request: {
    readonly uid: string;
    readonly kind: AdmissionRequest["kind"];
    readonly subResource?: string;
    readonly operation: AdmissionRequest["operation"];
    readonly name: string;
    readonly namespace?: string;
    readonly userInfo: UserInfo;
    readonly object?: KubernetesObject;
    readonly oldObject?: KubernetesObject;
    readonly dryRun?: boolean;
  };
  readonly response: {
    readonly allowed: boolean;
    readonly code?: number;
    readonly message?: string;
    readonly warnings?: readonly string[];
    readonly patch?: readonly RecordedPatchOperation[];
  };
}

function isSecret(object: KubernetesObject): boolean {
  return object.kind === "Secret" && object.apiVersion === "v1";
}

function redactNamedValues(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) redactNamedValues(item);
    return;
  }
  if (!isPlainObject(node)) return;
  if (typeof node.name === "string" && typeof node.value === "string" && SENSITIVE_NAME.test(node.name))
    node.value = REDACTED;
  for (const [key, value] of Object.entries(node)) {
    if (typeof value === "string" && SENSITIVE_FIELD.has(key)) node[key] = REDACTED;
    else redactNamedValues(value);
  }
}

/**
 * A copy of the object with what must not leave the cluster replaced: a Secret's `data` and
 * `stringData` values (keys kept), the last-applied annotation (it holds the whole object, Secret
 * data included), credential-named env values and token/password fields. managedFields are dropped.
 * The same input always gives the same output, so a replay is deterministic.
 */
export function redactObject<T extends KubernetesObject>(object: T): T {
  const copy = cloneJson(object) as T & Record<string, unknown>;
  const metadata = copy.metadata as Record<string, unknown> | undefined;
  if (metadata) {
    delete metadata.managedFields;
    const annotations = metadata.annotations as Record<string, string> | undefined;
    if (annotations?.[LAST_APPLIED] !== undefined) annotations[LAST_APPLIED] = REDACTED;
  }
  if (isSecret(copy)) {
    for (const [field, placeholder] of [
      ["data", REDACTED_BASE64],
      ["stringData", REDACTED],
    ] as const) {
      const values = copy[field];
      if (isPlainObject(values)) for (const key of Object.keys(values)) values[key] = placeholder;
    }
  }
  const replaced = isSecret(copy) ? ["metadata", "data", "stringData"] : ["metadata"];
  for (const [key, value] of Object.entries(copy)) if (!replaced.includes(key)) redactNamedValues(value);
  return copy;
}

function decodePatch(response: AdmissionResponse): PatchOperation[] {
  if (!response.patch) return [];
  return JSON.parse(Buffer.from(response.patch, "base64").toString("utf8")) as PatchOperation[];
}

/** The value a pointer names (`-`, an array's end, names its last element). */
function valueAtPointer(root: unknown, path: string): unknown {
  let node = root;
  const segments = path
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  for (const segment of segments) {
    if (Array.isArray(node)) node = node[segment === "-" ? node.length - 1 : Number(segment)];
    else if (isPlainObject(node)) node = node[segment];
    else return undefined;
  }
  return node;
}

/**
 * The patch as recorded: each operation's value is read from the redacted patched object, and an
 * operation whose value redaction changed is marked `redacted` with no value.
 */
function recordedPatch(subject: KubernetesObject | undefined, ops: PatchOperation[]): RecordedPatchOperation[] {
  if (ops.length === 0) return [];
  let patched: unknown;
  try {
    patched = applyPatch(cloneJson(subject ?? {}), ops);
  } catch {
    return ops.map(({ op, path }) => ({ op, path, redacted: true }));
  }
  const redacted = isPlainObject(patched) ? redactObject(patched as KubernetesObject) : patched;
  return ops.map(({ op, path }) => {
    if (op === "remove") return { op, path };
    const raw = valueAtPointer(patched, path);
    const kept = valueAtPointer(redacted, path);
    return isDeepStrictEqual(raw, kept) ? { op, path, value: kept } : { op, path, redacted: true };
  });
}

/** One webhook call as `capstan monitor --record` turns it into a scenario; sensitive values replaced. */
export function admissionRecord(
  webhook: "mutate" | "validate",
  request: AdmissionRequest,
  response: AdmissionResponse,
): AdmissionRecord {
  const { extra: _extra, ...userInfo } = request.userInfo ?? {};
  const object = request.object ? redactObject(request.object) : undefined;
  const oldObject = request.oldObject ? redactObject(request.oldObject) : undefined;
  const subject = request.operation === "DELETE" ? request.oldObject : request.object;
  const patch = recordedPatch(subject ?? undefined, decodePatch(response));
  return {
    webhook,
    request: {
      uid: request.uid,
      kind: request.kind,
      ...(request.subResource ? { subResource: request.subResource } : {}),
      operation: request.operation,
      name: request.name,
      ...(request.namespace ? { namespace: request.namespace } : {}),
      userInfo,
      ...(object ? { object } : {}),
      ...(oldObject ? { oldObject } : {}),
      ...(request.dryRun ? { dryRun: true } : {}),
    },
    response: {
      allowed: response.allowed,
      ...(response.status?.code !== undefined ? { code: response.status.code } : {}),
      ...(response.status?.message !== undefined ? { message: response.status.message } : {}),
      ...(response.warnings?.length ? { warnings: response.warnings } : {}),
      ...(patch.length ? { patch } : {}),
    },
  };
}
