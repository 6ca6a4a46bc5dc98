// Issue 17's proof: every case of test/support/cel-cases.ts applied to the real API server as a
// ValidatingAdmissionPolicy + binding (one namespace per case), its request sent, and the server's
// verdict (allowed, code, message, warnings) compared with the offline evaluator's.
import { randomBytes } from "node:crypto";
import { Agent, request as httpRequest } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient, KubernetesObject } from "../../../src/k8s/index.ts";
import { type CelPolicyUnderTest, type CelVerdict, evaluateCelPolicy } from "../../../src/testing/cel-evaluate.ts";
import { CEL_CASES, type CelCase, casePolicy, caseRequest, configMap, subjectName } from "../../support/cel-cases.ts";
import { adminClient, eventually } from "../../support/cluster.ts";

const RUN = randomBytes(3).toString("hex");
const PROBE = "cel-probe";
// Runs first in every policy and fails only for the probe request: it shows the policy and binding are active.
const probeRule = { expression: `request.name != "${PROBE}"`, message: PROBE };

interface ServerAnswer {
  readonly status: number;
  readonly body: { readonly message?: string; readonly code?: number };
  readonly warnings: readonly string[];
}

interface Setup {
  readonly c: CelCase;
  readonly namespace: string;
  readonly policy: CelPolicyUnderTest;
}

let client: ApiClient;
let agent: Agent;
const setups: Setup[] = [];

/** The texts of a Warning header (RFC 7234: `299 - "text"`, several joined by ", "). */
function parseWarnings(header: string): string[] {
  return [...header.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? "").replace(/\\(.)/g, "$1"));
}

/** A request that keeps what ApiClient drops: the Warning headers, and error answers as data. */
async function send(method: string, path: string, body?: unknown): Promise<ServerAnswer> {
  const server = new URL(client.connection.server);
  const response = await httpRequest(`${server.origin}${path}`, {
    method: method as "GET",
    dispatcher: agent,
    headers: {
      ...(await client.connection.headers()),
      accept: "application/json",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.body.text();
  const raw = response.headers.warning;
  const headers = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return { status: response.statusCode, body: text ? JSON.parse(text) : {}, warnings: headers.flatMap(parseWarnings) };
}

async function must(method: string, path: string, body?: unknown): Promise<ServerAnswer> {
  const answer = await send(method, path, body);
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${answer.body.message}`);
  return answer;
}

async function inBatches<T>(items: readonly T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

const cmPath = (namespace: string, name?: string) =>
  `/api/v1/namespaces/${namespace}/configmaps${name ? `/${name}` : ""}`;
const VAP = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies";
const VAPB = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings";

async function applyCase(c: CelCase, index: number): Promise<void> {
  const namespace = `cel-${index}-${RUN}`;
  const policyName = `cel-proof-${c.name}-${RUN}`;
  const policy: CelPolicyUnderTest = {
    ...casePolicy(c, policyName, `${policyName}-binding`),
    validations: [probeRule, ...c.validations],
  };
  await must("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  if (c.oldObject) await must("POST", cmPath(namespace), configMap(c.oldObject, namespace));
  await must("POST", VAP, {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: policyName },
    spec: {
      failurePolicy: policy.failurePolicy ?? "Fail",
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [""],
            apiVersions: ["v1"],
            operations: [...new Set(["CREATE", c.operation])],
            resources: ["configmaps"],
          },
        ],
      },
      validations: policy.validations,
    },
  });
  await must("POST", VAPB, {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: policy.bindingName },
    spec: {
      policyName,
      validationActions: policy.actions,
      matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } },
    },
  });
  setups.push({ c, namespace, policy });
}

let lastProbe = "";

async function active(setup: Setup): Promise<boolean> {
  const probe = await send(
    "POST",
    `${cmPath(setup.namespace)}?dryRun=All`,
    configMap({ name: PROBE }, setup.namespace),
  );
  lastProbe = `${setup.c.name}: ${probe.status} ${probe.body.message ?? ""} ${JSON.stringify(probe.warnings)}`;
  return (probe.body.message ?? "").includes(`: ${PROBE}`) || probe.warnings.some((w) => w.endsWith(`: ${PROBE}`));
}

async function perform(setup: Setup): Promise<ServerAnswer> {
  const { c, namespace } = setup;
  const name = subjectName(c);
  if (c.operation === "CREATE") return send("POST", cmPath(namespace), configMap(c.object ?? {}, namespace));
  if (c.operation === "UPDATE") return send("PUT", cmPath(namespace, name), configMap(c.object ?? {}, namespace));
  return send("DELETE", cmPath(namespace, name));
}

function serverVerdict(answer: ServerAnswer) {
  const allowed = answer.status < 300;
  return {
    allowed,
    code: allowed ? undefined : answer.status,
    message: allowed ? undefined : answer.body.message,
    warnings: answer.warnings,
  };
}

function offlineVerdict(verdict: CelVerdict) {
  return { allowed: verdict.allowed, code: verdict.code, message: verdict.statusMessage, warnings: verdict.warnings };
}

beforeAll(async () => {
  client = await adminClient();
  agent = new Agent({ connect: { ...client.connection.tls } });
  await inBatches(
    CEL_CASES.map((c, i) => [c, i] as const),
    8,
    ([c, i]) => applyCase(c, i),
  );
  let pending = setups;
  await eventually(
    async () => {
      const still: Setup[] = [];
      for (const setup of pending) if (!(await active(setup))) still.push(setup);
      pending = still;
      return pending.length === 0 ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500, what: "every case's policy and binding to be active" },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; ${pending.length} pending, last probe ${lastProbe}`);
  });
}, 180_000);

afterAll(async () => {
  await inBatches(setups, 8, async ({ namespace, policy }) => {
    await send("DELETE", `${VAPB}/${policy.bindingName}`);
    await send("DELETE", `${VAP}/${policy.policyName}`);
    await send("DELETE", `/api/v1/namespaces/${namespace}`);
  });
  await agent?.close();
  await client?.close();
});

describe("CEL validations: offline verdicts equal the API server's", () => {
  it(`all ${CEL_CASES.length} cases agree`, async () => {
    expect(setups).toHaveLength(CEL_CASES.length);
    const disagreements: string[] = [];
    await inBatches(setups, 8, async (setup) => {
      const namespaceObject = (await must("GET", `/api/v1/namespaces/${setup.namespace}`)).body as KubernetesObject;
      const offline = offlineVerdict(
        evaluateCelPolicy(setup.policy, caseRequest(setup.c, setup.namespace), { namespaceObject }),
      );
      const server = serverVerdict(await perform(setup));
      const expected = setup.c.expect;
      const asExpected =
        server.allowed === expected.allowed &&
        server.code === expected.code &&
        (expected.message === undefined ||
          setup.c.errorTextDiffers === true ||
          (server.message ?? "").endsWith(`denied request: ${expected.message}`)) &&
        server.warnings.length === (expected.warnings ?? []).length;
      const comparable = (verdict: typeof offline) =>
        JSON.stringify(
          setup.c.errorTextDiffers
            ? { ...verdict, message: verdict.message?.replace(/resulted in error: .*$/, "") }
            : verdict,
        );
      if (comparable(offline) !== comparable(server) || !asExpected) {
        disagreements.push(
          `${setup.c.name}:\n  server  ${JSON.stringify(server)}\n  offline ${JSON.stringify(offline)}\n  expect  ${JSON.stringify(expected)}`,
        );
      }
    });
    console.log(`[cel-proof] ${CEL_CASES.length - disagreements.length}/${CEL_CASES.length} cases agree`);
    expect(disagreements.join("\n")).toBe("");
  });
});
