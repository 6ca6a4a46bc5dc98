import { describe, expect, it } from "vitest";
import { celSchemaSource, celTypeError, hasCelSchema } from "../../../src/build/cel-typecheck.ts";
import { CEL_CASES } from "../../support/cel-cases.ts";

const ConfigMap = { group: "", version: "v1", kind: "ConfigMap" };
const Pod = { group: "", version: "v1", kind: "Pod" };
const Deployment = { group: "apps", version: "v1", kind: "Deployment" };

describe("CEL type check against the kind's schema", () => {
  it("refuses none of the proof table's expressions (every one of them runs on the API server)", () => {
    const expressions = CEL_CASES.flatMap((c) =>
      c.validations.flatMap((v) => [v.expression, ...(v.messageExpression ? [v.messageExpression] : [])]),
    );
    expect(expressions.length).toBeGreaterThan(70);
    expect(expressions.map((e) => [e, celTypeError(ConfigMap, e)]).filter(([, error]) => error)).toEqual([]);
  });

  it.each([
    ["a misspelt field", ConfigMap, "object.metadata.namee == 'x'", "no such field: namee", 16],
    ["a nested misspelt field", Deployment, "object.spec.template.spec.hostNetwrk", "no such field: hostNetwrk", 26],
    ["a field of a list element", Pod, "object.spec.containers.all(c, c.imagee != '')", "no such field: imagee", 32],
    ["int against string", Deployment, "object.spec.replicas > '2'", "no such overload: int > string", 0],
    ["a map value against int", ConfigMap, "object.data['a'] == 1", "no such overload: string == int", 0],
    [
      "a timestamp against a string",
      ConfigMap,
      "object.metadata.creationTimestamp == ''",
      "no such overload: google.protobuf.Timestamp == string",
      0,
    ],
    ["bytes against a string", ConfigMap, "object.binaryData['a'] == 'x'", "no such overload: bytes == string", 0],
    ["oldObject's field on UPDATE", ConfigMap, "oldObject.dataa == object.data", "no such field: dataa", 10],
    ["a bool used as a number", Pod, "object.spec.hostNetwork + 1 > 0", "no such overload: bool + int", 0],
  ])("finds %s", (_, kind, expression, message, offset) => {
    expect(celTypeError(kind, expression)).toEqual({ message, offset });
  });

  it.each([
    ["optional fields", Deployment, "!has(object.spec.replicas) || object.spec.replicas <= 5"],
    ["optional chaining", Deployment, "object.?spec.?replicas.orValue(1) <= 5"],
    // The API server refuses an optional select of an undefined field; the JavaScript library lets it
    // through (a missed error, never a false one).
    ["optional chaining to a field the kind lacks", Deployment, "object.?spec.?replicaz.orValue(1) > 0"],
    ["CREATE's oldObject", ConfigMap, "oldObject == null || oldObject.data == object.data"],
    ["DELETE's object", ConfigMap, "object == null && oldObject.metadata.name != ''"],
    [
      "maps and list macros",
      Pod,
      "object.metadata.labels.all(k, k.startsWith('a')) && object.spec.containers.exists(c, c.name == 'x')",
    ],
    [
      "int-or-string (dyn)",
      Deployment,
      "object.spec.strategy.rollingUpdate.maxSurge == 1 || object.spec.strategy.rollingUpdate.maxSurge == '25%'",
    ],
    [
      "quantities (dyn)",
      Pod,
      "object.spec.containers.all(c, !has(c.resources.limits) || 'memory' in c.resources.limits)",
    ],
    ["the namespace object", Pod, "namespaceObject.metadata.labels['env'] != 'prod'"],
    ["request fields (dyn)", Pod, "request.userInfo.username != 'system:admin'"],
    [
      "Kubernetes' string and list extensions",
      ConfigMap,
      "object.metadata.name.split('-').size() > 0 && [1, 2].isSorted()",
    ],
    [
      "Kubernetes libraries the check leaves to the API server",
      Pod,
      "object.spec.containers.all(c, quantity(c.resources.limits['cpu']).isLessThan(quantity('2')))",
    ],
  ])("accepts %s", (_, kind, expression) => {
    expect(celTypeError(kind, expression)).toBeUndefined();
  });

  it("a validation must give a bool and a message expression a string, as the API server requires", () => {
    expect(celTypeError(Deployment, "object.spec.replicas", "bool")).toEqual({
      message: "must evaluate to bool but gives int",
      offset: 0,
    });
    expect(celTypeError(Deployment, "object.spec.replicas > 1", "string")).toEqual({
      message: "must evaluate to string but gives bool",
      offset: 0,
    });
    expect(celTypeError(Deployment, "request.name", "string")).toBeUndefined();
  });

  it("does not check kinds the table lacks (custom resources)", () => {
    const widget = { group: "example.com", version: "v1", kind: "Widget" };
    expect(hasCelSchema(widget)).toBe(false);
    expect(hasCelSchema(Pod)).toBe(true);
    expect(celTypeError(widget, "object.spec.anything.goes == 1")).toBeUndefined();
    expect(celSchemaSource()).toMatch(/^kube-apiserver v1\.36\.\d+ \/openapi\/v3/);
  });
});
