import { describe, expect, it } from "vitest";
import { defaultsReader } from "../../../src/build/chart-values.ts";
import { helmChart } from "../../../src/build/helm-chart.ts";
import { moduleManifests } from "../../../src/build/manifests.ts";
import { describeCapability } from "../../../src/build/module-description.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { binding, configMap, description, input, pod } from "./fixtures.ts";

const cel = {
  validations: [
    { expression: "!has(object.spec.hostNetwork) || !object.spec.hostNetwork", message: "no host network" },
  ],
  actions: ["Deny" as const],
};
const celOnly = description([binding("validate-cel", pod, { isValidate: false, cel })]);

describe("manifests of ValidateCEL bindings", () => {
  it("a module with only ValidateCEL bindings runs no pod and registers no webhook: its policies are the admission", () => {
    const manifests = moduleManifests(input(celOnly));
    const objects = manifests.objects(defaultsReader(manifests.catalog));
    const kinds = objects.map((object) => object.kind);
    expect(kinds).not.toContain("Deployment");
    expect(kinds.filter((kind) => kind.includes("Webhook"))).toEqual([]);
    const policy = objects.find((object) => object.kind === "ValidatingAdmissionPolicy");
    expect(policy?.metadata).toMatchObject({
      name: "capstan-demo-hello-0-validate-cel-pod",
      labels: { "capstan.dev/uuid": "demo" },
    });
    expect(policy).toMatchObject({ spec: { failurePolicy: "Fail", validations: cel.validations } });
    expect(objects.at(-1)).toMatchObject({
      kind: "ValidatingAdmissionPolicyBinding",
      spec: { policyName: "capstan-demo-hello-0-validate-cel-pod", validationActions: ["Deny"] },
    });
  });

  it("the Helm chart carries them as templates, beside a webhook module's configurations", () => {
    const mixed = description([
      binding("validate", configMap),
      binding("validate-cel", pod, { name: "1-validate-cel-pod", isValidate: false, cel }),
    ]);
    const files = helmChart(moduleManifests(input(mixed)), {
      name: "demo",
      version: "0.1.0",
      appVersion: "0.1.0",
      description: "",
    });
    const templates = files.map((file) => file.path).filter((path) => path.includes("validating"));
    expect(templates.map((path) => path.replace(/^templates\/\d+-/, ""))).toEqual([
      "validatingwebhookconfiguration-capstan-demo.yaml",
      "validatingadmissionpolicy-capstan-demo-hello-1-validate-cel-pod.yaml",
      "validatingadmissionpolicybinding-capstan-demo-hello-1-validate-cel-pod.yaml",
    ]);
    const policy = files.find((file) => file.path.includes("validatingadmissionpolicy-"));
    expect(policy?.content).toContain("no host network");
  });

  it("an expression that does not parse fails the build with the file, binding and column", () => {
    const cap = new Capability({ name: "rules", description: "" });
    cap.When(a.Pod).IsCreated().ValidateCEL({ expression: "true" });
    cap
      .When(a.Pod)
      .IsCreated()
      .ValidateCEL([{ expression: "true" }, { expression: "object.spec.replicas <= ", messageExpression: "'x" }]);
    const module = description([], { capabilities: [describeCapability(cap)] });
    let message = "";
    try {
      moduleManifests(input(module));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split("\n")).toEqual([
      expect.stringMatching(
        /^test\/unit\/build\/cel-manifests\.test\.ts:\d+:\d+: Capability rules, binding 1-validate-cel-pod, validation 1: expression does not compile at column 25: Unexpected token: EOF in "object.spec.replicas <= "$/,
      ),
      expect.stringMatching(
        /validation 1: messageExpression does not compile at column 1: Unterminated string in "'x"$/,
      ),
    ]);
  });

  it("an expression that does not type-check against the kind fails the build with the file, binding and column", () => {
    const cap = new Capability({ name: "rules", description: "" });
    cap
      .When(a.Deployment)
      .IsCreated()
      .ValidateCEL([
        { expression: "object.spec.replicas <= 5" },
        { expression: "object.spec.replicas <= '5'" },
        { expression: "object.spec.template.spec.containers.all(c, c.imagee.startsWith('r/'))" },
        { expression: "true", messageExpression: "'created ' + object.metadata.creationTimestamp" },
      ]);
    const module = description([], { capabilities: [describeCapability(cap)] });
    expect(() => moduleManifests(input(module))).toThrow(
      new RegExp(
        [
          /^test\/unit\/build\/cel-manifests\.test\.ts:\d+:\d+: Capability rules, binding 0-validate-cel-deployment, validation 1: expression does not type-check against Deployment at column 1: no such overload: int <= string in "object\.spec\.replicas <= '5'"\n/,
          /.*validation 2: expression does not type-check against Deployment at column 47: no such field: imagee in .*\n/,
          /.*validation 3: messageExpression does not type-check against Deployment at column 1: no such overload: string \+ google\.protobuf\.Timestamp in .*$/,
        ]
          .map((part) => part.source)
          .join(""),
      ),
    );
  });
});
