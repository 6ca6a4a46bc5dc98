// The proof table of issue 17: each case is one ValidatingAdmissionPolicy (+ binding) and one
// request on a ConfigMap. The unit test evaluates them offline; the integration test applies them
// to a real API server; both must give `expect`.
import type { AdmissionRequest } from "../../src/model/index.ts";
import type { CelPolicyUnderTest, CelValidationAction, CelValidationRule } from "../../src/testing/cel-evaluate.ts";
import { admissionRequest } from "../../src/testing/requests.ts";

export interface ConfigMapInput {
  readonly name?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly data?: Record<string, string>;
}

export interface CelExpectation {
  readonly allowed: boolean;
  /** The denial's HTTP code. */
  readonly code?: number;
  /** The deciding validation's message (what follows "denied request: "). */
  readonly message?: string;
  /** The validation messages of each warning, in order. */
  readonly warnings?: readonly string[];
}

export interface CelCase {
  readonly name: string;
  readonly operation: "CREATE" | "UPDATE" | "DELETE";
  /** CREATE, UPDATE: the new object. */
  readonly object?: ConfigMapInput;
  /** UPDATE, DELETE: the stored object (created before the policy exists). */
  readonly oldObject?: ConfigMapInput;
  readonly validations: readonly CelValidationRule[];
  /** Default ["Deny"]. */
  readonly actions?: readonly CelValidationAction[];
  readonly failurePolicy?: CelPolicyUnderTest["failurePolicy"];
  /** The verdict matches the API server's but the error's wording does not (compared up to "resulted in error: "). */
  readonly errorTextDiffers?: boolean;
  readonly expect: CelExpectation;
}

export const SUBJECT = "subject";

const failed = (expression: string) => `failed expression: ${expression}`;
const errored = (expression: string, error: string) => `expression '${expression}' resulted in error: ${error}`;

const teamLabel = "has(object.metadata.labels) && 'team' in object.metadata.labels";
const allApp = 'object.data.all(k, k.startsWith("app-"))';
const existsOn = 'object.data.exists(k, object.data[k] == "on")';
const replicas = "int(object.data.replicas) <= 5";
const sameVersion = "oldObject.data.version == object.data.version";
const protectedDelete = "oldObject.metadata.labels.protected != 'true'";
const missingKey = 'object.data.owner == "ops"';
const hostsRule = 'object.data.hosts.split(",").all(h, h.endsWith(".example.com"))';

export const CEL_CASES: readonly CelCase[] = [
  // Presence and basic checks
  {
    name: "label-present",
    operation: "CREATE",
    object: { labels: { team: "a" } },
    validations: [{ expression: teamLabel }],
    expect: { allowed: true },
  },
  {
    name: "label-missing",
    operation: "CREATE",
    object: {},
    validations: [{ expression: teamLabel }],
    expect: { allowed: false, code: 422, message: failed(teamLabel) },
  },
  {
    name: "label-missing-message",
    operation: "CREATE",
    object: { labels: { app: "x" } },
    validations: [{ expression: teamLabel, message: "  a team label is required " }],
    expect: { allowed: false, code: 422, message: "a team label is required" },
  },
  {
    name: "message-expression",
    operation: "CREATE",
    object: {},
    validations: [
      {
        expression: teamLabel,
        message: "static",
        messageExpression: '"configmap " + object.metadata.name + " needs a team"',
      },
    ],
    expect: { allowed: false, code: 422, message: `configmap ${SUBJECT} needs a team` },
  },
  {
    name: "message-expression-error-falls-back",
    operation: "CREATE",
    object: { data: { a: "1" } },
    validations: [
      { expression: "size(object.data) > 1", message: "fallback", messageExpression: 'object.data.nope + "!"' },
    ],
    expect: { allowed: false, code: 422, message: "fallback" },
  },
  {
    name: "message-expression-blank-falls-back",
    operation: "CREATE",
    object: { data: { a: "1" } },
    validations: [{ expression: "size(object.data) > 1", messageExpression: '"   "' }],
    expect: { allowed: false, code: 422, message: failed("size(object.data) > 1") },
  },
  // Reasons and codes
  {
    name: "reason-forbidden",
    operation: "CREATE",
    object: {},
    validations: [{ expression: teamLabel, reason: "Forbidden" }],
    expect: { allowed: false, code: 403, message: failed(teamLabel) },
  },
  {
    name: "reason-forbidden-message-expression",
    operation: "CREATE",
    object: {},
    validations: [{ expression: teamLabel, reason: "Forbidden", messageExpression: '"no team on " + request.name' }],
    expect: { allowed: false, code: 403, message: `no team on ${SUBJECT}` },
  },
  {
    name: "reason-too-large",
    operation: "CREATE",
    object: { data: { a: "1", b: "2", c: "3" } },
    validations: [{ expression: "size(object.data) <= 2", reason: "RequestEntityTooLarge" }],
    expect: { allowed: false, code: 413, message: failed("size(object.data) <= 2") },
  },
  {
    name: "reason-invalid",
    operation: "CREATE",
    object: {},
    validations: [{ expression: teamLabel, reason: "Invalid" }],
    expect: { allowed: false, code: 422, message: failed(teamLabel) },
  },
  // Missing fields and optional chaining
  {
    name: "missing-key-errors",
    operation: "CREATE",
    object: { data: { a: "1" } },
    validations: [{ expression: missingKey }],
    expect: { allowed: false, code: 422, message: errored(missingKey, "no such key: owner") },
  },
  {
    name: "missing-data-errors",
    operation: "CREATE",
    object: {},
    validations: [{ expression: missingKey }],
    expect: { allowed: false, code: 422, message: errored(missingKey, "no such key: data") },
  },
  {
    name: "optional-missing",
    operation: "CREATE",
    object: {},
    validations: [{ expression: 'object.?data.?owner.orValue("ops") == "ops"' }],
    expect: { allowed: true },
  },
  {
    name: "optional-present-mismatch",
    operation: "CREATE",
    object: { data: { owner: "dev" } },
    validations: [{ expression: 'object.?data.?owner.orValue("ops") == "ops"' }],
    expect: { allowed: false, code: 422, message: failed('object.?data.?owner.orValue("ops") == "ops"') },
  },
  {
    name: "optional-index",
    operation: "CREATE",
    object: { data: { a: "1" } },
    validations: [{ expression: 'object.data[?"owner"].orValue("none") == "none"' }],
    expect: { allowed: true },
  },
  {
    name: "optional-has-value",
    operation: "CREATE",
    object: { labels: { team: "a" } },
    validations: [{ expression: "object.metadata.?labels.?team.hasValue()" }],
    expect: { allowed: true },
  },
  {
    name: "has-ternary",
    operation: "CREATE",
    object: {},
    validations: [{ expression: "(has(object.data) ? size(object.data) : 0) < 3" }],
    expect: { allowed: true },
  },
  // Macros on maps and lists
  {
    name: "all-valid",
    operation: "CREATE",
    object: { data: { "app-a": "1", "app-b": "2" } },
    validations: [{ expression: allApp }],
    expect: { allowed: true },
  },
  {
    name: "all-invalid",
    operation: "CREATE",
    object: { data: { "app-a": "1", other: "2" } },
    validations: [{ expression: allApp }],
    expect: { allowed: false, code: 422, message: failed(allApp) },
  },
  {
    name: "exists-valid",
    operation: "CREATE",
    object: { data: { a: "off", b: "on" } },
    validations: [{ expression: existsOn }],
    expect: { allowed: true },
  },
  {
    name: "exists-invalid",
    operation: "CREATE",
    object: { data: { a: "off" } },
    validations: [{ expression: existsOn }],
    expect: { allowed: false, code: 422, message: failed(existsOn) },
  },
  {
    name: "exists-one",
    operation: "CREATE",
    object: { data: { a: "on", b: "on" } },
    validations: [
      { expression: 'object.data.exists_one(k, object.data[k] == "on")', message: "exactly one switch on" },
    ],
    expect: { allowed: false, code: 422, message: "exactly one switch on" },
  },
  {
    name: "map-filter",
    operation: "CREATE",
    object: { data: { "a.yaml": "x", "b.yaml": "y", c: "z" } },
    validations: [
      {
        expression: 'size(object.data.filter(k, k.endsWith(".yaml"))) <= 1',
        messageExpression: 'string(size(object.data.filter(k, k.endsWith(".yaml")).map(k, k + "!"))) + " yaml files"',
      },
    ],
    expect: { allowed: false, code: 422, message: "2 yaml files" },
  },
  {
    name: "size-map",
    operation: "CREATE",
    object: { data: { a: "1", b: "2" } },
    validations: [{ expression: "size(object.data) <= 2" }],
    expect: { allowed: true },
  },
  {
    name: "annotations-exist",
    operation: "CREATE",
    object: { annotations: { "example.com/owner": "x" } },
    validations: [{ expression: 'object.metadata.annotations.exists(k, k.startsWith("example.com/"))' }],
    expect: { allowed: true },
  },
  {
    name: "label-in-list",
    operation: "CREATE",
    object: { labels: { tier: "cache" } },
    validations: [{ expression: 'object.metadata.labels["tier"] in ["web", "db"]', message: "tier must be web or db" }],
    expect: { allowed: false, code: 422, message: "tier must be web or db" },
  },
  // Strings
  {
    name: "matches-valid",
    operation: "CREATE",
    object: { name: "web-12" },
    validations: [{ expression: "object.metadata.name.matches('^[a-z]+-[0-9]+$')" }],
    expect: { allowed: true },
  },
  {
    name: "matches-invalid",
    operation: "CREATE",
    object: {},
    validations: [{ expression: "object.metadata.name.matches('^[a-z]+-[0-9]+$')" }],
    expect: { allowed: false, code: 422, message: failed("object.metadata.name.matches('^[a-z]+-[0-9]+$')") },
  },
  {
    name: "contains-lower",
    operation: "CREATE",
    object: { data: { env: "PROD-eu" } },
    validations: [{ expression: 'object.data.env.lowerAscii().contains("prod")' }],
    expect: { allowed: true },
  },
  {
    name: "split-list-all",
    operation: "CREATE",
    object: { data: { hosts: "a.example.com,b.evil.io" } },
    validations: [{ expression: hostsRule }],
    expect: { allowed: false, code: 422, message: failed(hostsRule) },
  },
  {
    name: "list-is-sorted",
    operation: "CREATE",
    object: { data: { order: "a,c,b" } },
    validations: [{ expression: 'object.data.order.split(",").isSorted()', message: "order must be sorted" }],
    expect: { allowed: false, code: 422, message: "order must be sorted" },
  },
  {
    name: "list-index-of",
    operation: "CREATE",
    object: { data: { order: "a,b,c" } },
    validations: [{ expression: 'object.data.order.split(",").indexOf("b") == 1' }],
    expect: { allowed: true },
  },
  {
    name: "string-index-of",
    operation: "CREATE",
    object: { data: { key: "abc" } },
    validations: [{ expression: 'object.data.key.indexOf("c") == 1' }],
    expect: { allowed: false, code: 422, message: failed('object.data.key.indexOf("c") == 1') },
  },
  // Numbers, timestamps, durations
  {
    name: "int-valid",
    operation: "CREATE",
    object: { data: { replicas: "3" } },
    validations: [{ expression: replicas }],
    expect: { allowed: true },
  },
  {
    name: "int-invalid",
    operation: "CREATE",
    object: { data: { replicas: "9" } },
    validations: [{ expression: replicas, messageExpression: '"replicas " + object.data.replicas + " > 5"' }],
    expect: { allowed: false, code: 422, message: "replicas 9 > 5" },
  },
  {
    name: "double-compare",
    operation: "CREATE",
    object: { data: { ratio: "0.75" } },
    validations: [{ expression: "double(object.data.ratio) < 0.5" }],
    expect: { allowed: false, code: 422, message: failed("double(object.data.ratio) < 0.5") },
  },
  {
    name: "uint-compare",
    operation: "CREATE",
    object: { data: { port: "8080" } },
    validations: [{ expression: "uint(object.data.port) < 65536u" }],
    expect: { allowed: true },
  },
  {
    name: "timestamp",
    operation: "CREATE",
    object: { data: { expires: "2019-06-01T00:00:00Z" } },
    validations: [{ expression: 'timestamp(object.data.expires) > timestamp("2020-01-01T00:00:00Z")' }],
    expect: {
      allowed: false,
      code: 422,
      message: failed('timestamp(object.data.expires) > timestamp("2020-01-01T00:00:00Z")'),
    },
  },
  {
    name: "duration",
    operation: "CREATE",
    object: { data: { ttl: "30m" } },
    validations: [{ expression: 'duration(object.data.ttl) <= duration("1h")' }],
    expect: { allowed: true },
  },
  // The request and its namespace
  {
    name: "request-fields",
    operation: "CREATE",
    object: {},
    validations: [
      {
        expression:
          'request.operation == "CREATE" && request.name == object.metadata.name && request.kind.kind == "ConfigMap" && request.resource.resource == "configmaps"',
      },
    ],
    expect: { allowed: true },
  },
  {
    name: "namespace-object",
    operation: "CREATE",
    object: {},
    validations: [
      { expression: "namespaceObject.metadata.name == request.namespace && request.namespace.startsWith('cel-')" },
    ],
    expect: { allowed: true },
  },
  {
    name: "create-old-object-null",
    operation: "CREATE",
    object: {},
    validations: [{ expression: "oldObject == null" }],
    expect: { allowed: true },
  },
  // UPDATE: oldObject
  {
    name: "update-immutable-valid",
    operation: "UPDATE",
    oldObject: { data: { version: "1", x: "a" } },
    object: { data: { version: "1", x: "b" } },
    validations: [{ expression: sameVersion }],
    expect: { allowed: true },
  },
  {
    name: "update-immutable-invalid",
    operation: "UPDATE",
    oldObject: { data: { version: "1" } },
    object: { data: { version: "2" } },
    validations: [{ expression: sameVersion, message: "version is immutable", reason: "Forbidden" }],
    expect: { allowed: false, code: 403, message: "version is immutable" },
  },
  {
    name: "update-no-shrink",
    operation: "UPDATE",
    oldObject: { data: { a: "1", b: "2" } },
    object: { data: { a: "1" } },
    validations: [
      {
        expression: "!has(oldObject.data) || (has(object.data) && size(object.data) >= size(oldObject.data))",
        messageExpression: '"had " + string(size(oldObject.data)) + " keys"',
      },
    ],
    expect: { allowed: false, code: 422, message: "had 2 keys" },
  },
  {
    name: "update-operation",
    operation: "UPDATE",
    oldObject: { labels: { team: "a" } },
    object: { labels: { team: "b" } },
    validations: [
      { expression: 'request.operation == "UPDATE" && oldObject.metadata.labels.team != object.metadata.labels.team' },
    ],
    expect: { allowed: true },
  },
  // DELETE: object is null
  {
    name: "delete-object-null",
    operation: "DELETE",
    oldObject: { data: { a: "1" } },
    validations: [{ expression: "object == null && oldObject.data.a == '1'" }],
    expect: { allowed: true },
  },
  {
    name: "delete-protected",
    operation: "DELETE",
    oldObject: { labels: { protected: "true" } },
    validations: [{ expression: protectedDelete, messageExpression: '"cannot delete " + oldObject.metadata.name' }],
    expect: { allowed: false, code: 422, message: `cannot delete ${SUBJECT}` },
  },
  {
    name: "delete-optional-on-null",
    operation: "DELETE",
    oldObject: {},
    validations: [{ expression: "object.?data.orValue({}).size() == 0" }],
    expect: { allowed: true },
  },
  {
    name: "delete-has-on-null",
    operation: "DELETE",
    oldObject: { data: { a: "1" } },
    validations: [{ expression: "!has(object.data)" }],
    expect: { allowed: true },
  },
  {
    name: "delete-select-on-null",
    operation: "DELETE",
    oldObject: { data: { a: "1" } },
    validations: [{ expression: 'object.data.a == "1"' }],
    expect: { allowed: false, code: 422, message: errored('object.data.a == "1"', "no such key: data") },
  },
  // Runtime errors
  {
    name: "int-conversion-error",
    operation: "CREATE",
    object: { data: { replicas: "many" } },
    validations: [{ expression: replicas }],
    expect: { allowed: false, code: 422, message: errored(replicas, "type conversion error from 'string' to 'int'") },
  },
  {
    name: "division-by-zero",
    operation: "CREATE",
    object: { data: { n: "0" } },
    validations: [{ expression: "10 / int(object.data.n) > 1" }],
    expect: { allowed: false, code: 422, message: errored("10 / int(object.data.n) > 1", "division by zero") },
  },
  {
    name: "bad-regex-at-runtime",
    operation: "CREATE",
    object: { data: { pattern: "[" } },
    validations: [{ expression: '"abc".matches(object.data.pattern)' }],
    // RE2's and JavaScript's regular expression errors are worded differently: only the verdict is compared.
    errorTextDiffers: true,
    expect: {
      allowed: false,
      code: 422,
      message: errored('"abc".matches(object.data.pattern)', "Invalid regular expression: ["),
    },
  },
  {
    name: "index-out-of-range",
    operation: "CREATE",
    object: { data: { list: "a,b" } },
    validations: [{ expression: 'object.data.list.split(",")[2] == "c"' }],
    expect: {
      allowed: false,
      code: 422,
      message: errored('object.data.list.split(",")[2] == "c"', "index out of bounds: 2"),
    },
  },
  {
    name: "timestamp-parse-error",
    operation: "CREATE",
    object: { data: { when: "yesterday" } },
    validations: [{ expression: 'timestamp(object.data.when) < timestamp("2030-01-01T00:00:00Z")' }],
    expect: {
      allowed: false,
      code: 422,
      message: errored(
        'timestamp(object.data.when) < timestamp("2030-01-01T00:00:00Z")',
        "type conversion error from 'string' to 'google.protobuf.Timestamp'",
      ),
    },
  },
  {
    name: "duration-parse-error",
    operation: "CREATE",
    object: { data: { ttl: "soon" } },
    validations: [{ expression: 'duration(object.data.ttl) < duration("1h")' }],
    expect: {
      allowed: false,
      code: 422,
      message: errored(
        'duration(object.data.ttl) < duration("1h")',
        "type conversion error from 'string' to 'google.protobuf.Duration'",
      ),
    },
  },
  {
    name: "modulus-by-zero",
    operation: "CREATE",
    object: { data: { n: "0" } },
    validations: [{ expression: "10 % int(object.data.n) == 0" }],
    expect: { allowed: false, code: 422, message: errored("10 % int(object.data.n) == 0", "modulus by zero") },
  },
  {
    name: "bool-conversion-error",
    operation: "CREATE",
    object: { data: { flag: "maybe" } },
    validations: [{ expression: "bool(object.data.flag)" }],
    expect: {
      allowed: false,
      code: 422,
      message: errored("bool(object.data.flag)", "type conversion error from 'string' to 'bool'"),
    },
  },
  {
    name: "negative-index",
    operation: "CREATE",
    object: { data: { list: "a,b" } },
    validations: [{ expression: 'object.data.list.split(",")[-1] == "b"' }],
    expect: {
      allowed: false,
      code: 422,
      message: errored('object.data.list.split(",")[-1] == "b"', "index out of bounds: -1"),
    },
  },
  // Several validations: every one runs, the first failure decides
  {
    name: "second-fails",
    operation: "CREATE",
    object: { labels: { team: "a" }, data: { a: "1", b: "2", c: "3" } },
    validations: [{ expression: teamLabel }, { expression: "size(object.data) < 3", message: "too many keys" }],
    expect: { allowed: false, code: 422, message: "too many keys" },
  },
  {
    name: "first-of-two-failures",
    operation: "CREATE",
    object: { data: { a: "1", b: "2", c: "3" } },
    validations: [
      { expression: "size(object.data) < 3", message: "too many keys", reason: "Forbidden" },
      { expression: teamLabel, message: "no team" },
    ],
    expect: { allowed: false, code: 403, message: "too many keys" },
  },
  {
    name: "error-before-denial",
    operation: "CREATE",
    object: { data: { a: "1" } },
    validations: [{ expression: missingKey }, { expression: teamLabel, message: "no team", reason: "Forbidden" }],
    expect: { allowed: false, code: 422, message: errored(missingKey, "no such key: owner") },
  },
  // Actions: Warn and Audit
  {
    name: "warn-one",
    operation: "CREATE",
    object: {},
    validations: [{ expression: teamLabel, message: "a team label is recommended" }],
    actions: ["Warn"],
    expect: { allowed: true, warnings: ["a team label is recommended"] },
  },
  {
    name: "warn-two",
    operation: "CREATE",
    object: { data: { a: "1", b: "2", c: "3" } },
    validations: [
      { expression: teamLabel, message: "no team" },
      { expression: "size(object.data) < 3", message: "too many keys" },
    ],
    actions: ["Warn"],
    expect: { allowed: true, warnings: ["no team", "too many keys"] },
  },
  {
    name: "warn-error",
    operation: "CREATE",
    object: { data: { a: "1" } },
    validations: [{ expression: missingKey }],
    actions: ["Warn"],
    expect: { allowed: true, warnings: [errored(missingKey, "no such key: owner")] },
  },
  {
    name: "warn-audit",
    operation: "CREATE",
    object: {},
    validations: [{ expression: teamLabel, message: "no team" }],
    actions: ["Warn", "Audit"],
    expect: { allowed: true, warnings: ["no team"] },
  },
  {
    name: "deny-audit",
    operation: "CREATE",
    object: {},
    validations: [{ expression: teamLabel, message: "no team" }],
    actions: ["Deny", "Audit"],
    expect: { allowed: false, code: 422, message: "no team" },
  },
  {
    name: "warn-passes",
    operation: "CREATE",
    object: { labels: { team: "a" } },
    validations: [{ expression: teamLabel, message: "no team" }],
    actions: ["Warn"],
    expect: { allowed: true, warnings: [] },
  },
  // failurePolicy Ignore: errors admit, denials still deny
  {
    name: "ignore-error",
    operation: "CREATE",
    object: { data: { a: "1" } },
    validations: [{ expression: missingKey }],
    failurePolicy: "Ignore",
    expect: { allowed: true },
  },
  {
    name: "ignore-still-denies",
    operation: "CREATE",
    object: { data: { a: "1" } },
    validations: [{ expression: missingKey }, { expression: teamLabel, message: "no team" }],
    failurePolicy: "Ignore",
    expect: { allowed: false, code: 422, message: "no team" },
  },
];

/** A ConfigMap of a case, in a namespace. */
export function configMap(input: ConfigMapInput, namespace: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: input.name ?? SUBJECT,
      namespace,
      ...(input.labels ? { labels: input.labels } : {}),
      ...(input.annotations ? { annotations: input.annotations } : {}),
    },
    ...(input.data ? { data: input.data } : {}),
  };
}

/** The name of the object a case's request is about. */
export function subjectName(c: CelCase): string {
  return (c.operation === "DELETE" ? c.oldObject?.name : c.object?.name) ?? SUBJECT;
}

/** The policy of a case under given names. */
export function casePolicy(c: CelCase, policyName: string, bindingName: string): CelPolicyUnderTest {
  return {
    policyName,
    bindingName,
    validations: c.validations,
    actions: c.actions ?? ["Deny"],
    ...(c.failurePolicy ? { failurePolicy: c.failurePolicy } : {}),
  };
}

/** The admission request of a case, as the API server builds it (objects as the case gives them). */
export function caseRequest(c: CelCase, namespace: string): AdmissionRequest {
  return admissionRequest({
    operation: c.operation,
    ...(c.object ? { object: configMap(c.object, namespace) } : {}),
    ...(c.oldObject ? { oldObject: configMap(c.oldObject, namespace) } : {}),
  });
}
