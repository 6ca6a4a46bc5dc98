// capstan's build-time CEL type check against the API server's own (issue 17 item 2): each policy is
// applied without a binding (it judges nothing) and the API server's type checker (the
// validatingadmissionpolicy-status-controller the local control plane runs, as every cluster does)
// writes its findings into status.typeChecking; both must find an error in the same expressions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { celTypeError } from "../../../src/build/cel-typecheck.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { adminClient, eventually } from "../../support/cluster.ts";

interface Kind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly resource: string;
}
const ConfigMap: Kind = { group: "", version: "v1", kind: "ConfigMap", resource: "configmaps" };
const Pod: Kind = { group: "", version: "v1", kind: "Pod", resource: "pods" };
const Deployment: Kind = { group: "apps", version: "v1", kind: "Deployment", resource: "deployments" };

// Known differences are left out and written in docs/cel-policies.md: quantities (capstan: dyn; the
// API server drops their schema) and optional selects of undefined fields (the library allows them).
const TABLE: readonly (readonly [Kind, string])[] = [
  [ConfigMap, "object.metadata.namee == 'x'"],
  [ConfigMap, "object.metadata.name == 'x'"],
  [ConfigMap, "object.data['a'] == 1"],
  [ConfigMap, "object.data['a'] == 'x'"],
  [ConfigMap, "object.metadata.creationTimestamp == ''"],
  [ConfigMap, "object.binaryData['a'] == 'x'"],
  [ConfigMap, "oldObject == null || oldObject.data == object.data"],
  [ConfigMap, "oldObject.dataa == object.data"],
  [ConfigMap, "object.metadata.labels.all(k, k.startsWith('a'))"],
  [ConfigMap, "object.metadata.generation > 'x'"],
  [ConfigMap, "object.immutable == true"],
  [ConfigMap, "object.immutable == 1"],
  [Pod, "object.spec.containers.all(c, c.imagee != '')"],
  [Pod, "object.spec.containers.all(c, c.image != '')"],
  [Pod, "object.spec.hostNetwork + 1 > 0"],
  [Pod, "!has(object.spec.hostNetwork) || !object.spec.hostNetwork"],
  [Pod, "object.spec.securityContext.runAsUser > 0"],
  [Pod, "object.spec.securityContext.runAsUser > '0'"],
  [Pod, "namespaceObject.metadata.labels['env'] != 'prod'"],
  [Deployment, "object.spec.replicas > '2'"],
  [Deployment, "!has(object.spec.replicas) || object.spec.replicas <= 5"],
  [Deployment, "object.spec.template.spec.hostNetwrk == true"],
  [Deployment, "object.?spec.?replicas.orValue(1) <= 5"],
  [
    Deployment,
    "object.spec.strategy.rollingUpdate.maxSurge == 1 || object.spec.strategy.rollingUpdate.maxSurge == '25%'",
  ],
  [Deployment, "object.spec.selector.matchLabels.size() > 0"],
];

let client: ApiClient;
const names: string[] = [];
const warned = new Map<string, Set<number>>();
const base = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies";

beforeAll(async () => {
  client = await adminClient();
  const stamp = Date.now().toString(36);
  for (const kind of [ConfigMap, Pod, Deployment]) {
    const name = `typecheck-${kind.resource}-${stamp}`;
    names.push(name);
    await client.request({
      method: "POST",
      path: base,
      body: {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingAdmissionPolicy",
        metadata: { name },
        spec: {
          matchConstraints: {
            resourceRules: [
              {
                apiGroups: [kind.group],
                apiVersions: [kind.version],
                operations: ["CREATE"],
                resources: [kind.resource],
              },
            ],
          },
          validations: TABLE.filter(([k]) => k === kind).map(([, expression]) => ({ expression })),
        },
      },
    });
  }
  for (const [index, kind] of [ConfigMap, Pod, Deployment].entries()) {
    const status = await eventually(
      async () => {
        const policy = await client.request<{
          status?: { observedGeneration?: number; typeChecking?: { expressionWarnings?: { fieldRef: string }[] } };
        }>({ path: `${base}/${names[index]}` });
        return policy.status?.typeChecking ? policy.status : undefined;
      },
      { timeoutMs: 60_000, what: `the API server's type check of ${names[index]}` },
    );
    const failing = new Set(
      (status.typeChecking?.expressionWarnings ?? []).map((w) => Number(/validations\[(\d+)\]/.exec(w.fieldRef)?.[1])),
    );
    warned.set(kind.kind, failing);
  }
}, 120_000);

afterAll(async () => {
  for (const name of names) await client.request({ method: "DELETE", path: `${base}/${name}` }).catch(() => {});
  await client.close();
});

describe("capstan's CEL type check agrees with the API server's", () => {
  it("finds errors in exactly the expressions the API server's checker does", () => {
    const rows = [ConfigMap, Pod, Deployment].flatMap((kind) =>
      TABLE.filter(([k]) => k === kind).map(([, expression], index) => ({
        kind: kind.kind,
        expression,
        apiServer: warned.get(kind.kind)?.has(index) ?? false,
        capstan: celTypeError(kind, expression) !== undefined,
      })),
    );
    expect(rows.filter((row) => row.apiServer).length).toBeGreaterThanOrEqual(10);
    expect(rows.filter((row) => row.apiServer !== row.capstan)).toEqual([]);
  });

  it("namespaceObject and request are checked by the API server at create: refused there, found here", async () => {
    const expression = "namespaceObject.metadata.labelz['env'] != 'prod'";
    expect(celTypeError(Pod, expression)).toEqual({ message: "no such field: labelz", offset: 25 });
    await expect(
      client.request({
        method: "POST",
        path: base,
        query: { dryRun: "All" },
        body: {
          apiVersion: "admissionregistration.k8s.io/v1",
          kind: "ValidatingAdmissionPolicy",
          metadata: { name: "typecheck-namespace-object" },
          spec: {
            matchConstraints: {
              resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }],
            },
            validations: [{ expression }],
          },
        },
      }),
    ).rejects.toThrow("undefined field 'labelz'");
  });
});
