import { describeCapability, type ModuleDescription, moduleNeeds } from "../build/module-description.ts";
import { deriveRbac, type ModuleRbac, type RbacMode, type RbacObject, rbacObjects } from "../build/rbac.ts";
import { type ResourceNames, resourceNames } from "../contract/index.ts";
import { ApiClient, NotFoundError } from "../k8s/index.ts";
import type { ModuleConfig, PeprModule } from "../model/index.ts";
import { flavorOf } from "../model/index.ts";
import { forbiddenLine, isRbacDenial } from "./dev-forbidden.ts";

/** Marks the RBAC objects a dev session applied (its holder identity): only those are removed again. */
export const DEV_RBAC_ANNOTATION = "capstan.dev/dev-session";
const FIELD_MANAGER = "capstan-dev";
const EFFECTIVE_WITHIN_MS = 10_000;

/** The user and groups a ServiceAccount's token authenticates as. */
export function serviceAccountUser(namespace: string, name: string): { user: string; groups: string[] } {
  return {
    user: `system:serviceaccount:${namespace}:${name}`,
    groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`],
  };
}

export interface DevRbacPlan {
  readonly names: ResourceNames;
  readonly namespace: string;
  readonly rbac: ModuleRbac;
  readonly objects: RbacObject[];
}

/**
 * The ServiceAccount, roles and bindings `capstan build --rbac-mode <mode>` generates for this
 * module, built by the same code, in the dev session's namespace.
 */
export function devRbacPlan(
  module: Pick<PeprModule, "config" | "capabilities">,
  namespace: string,
  holder: string,
  mode: RbacMode = "scoped",
): DevRbacPlan {
  const flavor = flavorOf(module.config);
  const names = resourceNames(module.config.uuid, flavor);
  const description: ModuleDescription = {
    packageName: module.config.uuid,
    version: "0.0.0",
    description: "",
    config: module.config,
    capabilities: module.capabilities.map(describeCapability),
    storeUsed: true,
  };
  const rbac = deriveRbac(description, moduleNeeds(description), names, mode);
  const objects = rbacObjects({
    names,
    namespace,
    clusterRules: rbac.clusterRules,
    namespaceRules: rbac.namespaceRules,
    annotations: { [DEV_RBAC_ANNOTATION]: holder },
  });
  return { names, namespace, rbac, objects };
}

function objectPath(object: RbacObject): string {
  const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const plural = `${object.kind.toLowerCase()}s`;
  const namespace = object.metadata.namespace ? `/namespaces/${encodeURIComponent(object.metadata.namespace)}` : "";
  return `${base}${namespace}/${plural}/${encodeURIComponent(object.metadata.name)}`;
}

async function annotationOf(client: ApiClient, path: string): Promise<string | undefined | null> {
  try {
    const object = await client.request<{ metadata?: { annotations?: Record<string, string> } }>({ path });
    return object.metadata?.annotations?.[DEV_RBAC_ANNOTATION] ?? null;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/**
 * What `applyDevRbac` did: applied the plan; found the module deployed (every object there, none
 * made by dev) and left it alone; or found some objects of those names that dev did not make (a
 * deployed module in another namespace) and left them alone too.
 */
export type DevRbacOutcome = "applied" | "deployed" | "foreign";

/**
 * Applies the plan's objects (server-side apply, as capstan-dev), unless objects of those names
 * exist that no dev session made: those belong to a deployed module and are never touched.
 */
export async function applyDevRbac(client: ApiClient, plan: DevRbacPlan): Promise<DevRbacOutcome> {
  const found = await Promise.all(plan.objects.map((object) => annotationOf(client, objectPath(object))));
  const foreign = found.filter((annotation) => annotation === null).length;
  if (foreign === plan.objects.length) return "deployed";
  if (foreign > 0) return "foreign";
  for (const object of plan.objects) {
    await client
      .request({
        method: "PATCH",
        path: objectPath(object),
        query: { fieldManager: FIELD_MANAGER, force: true },
        contentType: "application/apply-patch+yaml",
        body: object,
      })
      .catch((error: unknown) => {
        throw new Error(
          `cannot apply ${object.kind} ${object.metadata.name} for dev (${error instanceof Error ? error.message : String(error)}): ` +
            "your kubeconfig user needs to create ServiceAccounts, Roles, ClusterRoles and their bindings, or run `capstan dev --no-impersonate`",
        );
      });
  }
  return "applied";
}

/** Deletes the plan's objects that carry `holder`'s annotation (bindings first); missing ones are fine. */
export async function removeDevRbac(client: ApiClient, objects: readonly RbacObject[], holder: string): Promise<void> {
  for (const object of [...objects].reverse()) {
    const path = objectPath(object);
    if ((await annotationOf(client, path)) !== holder) continue;
    await client.request({ method: "DELETE", path }).catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error;
    });
  }
}

/** An object by kind and name only (enough to find and delete it). */
function refOf({ apiVersion, kind, metadata }: RbacObject): RbacObject {
  return {
    apiVersion,
    kind,
    metadata: { name: metadata.name, ...(metadata.namespace ? { namespace: metadata.namespace } : {}) },
  };
}

/** The names of the RBAC objects dev applies for a module (what the session removes on exit). */
export function devRbacRefs(
  config: ModuleConfig,
  namespace: string,
): { serviceAccount: string; objects: RbacObject[] } {
  const names = resourceNames(config.uuid, flavorOf(config));
  const objects = rbacObjects({ names, namespace, clusterRules: [], namespaceRules: [] });
  return { serviceAccount: names.serviceAccount, objects: objects.map(refOf) };
}

interface AccessReview {
  status?: { allowed?: boolean; reason?: string };
}

async function allowed(client: ApiClient, attributes: Record<string, string>): Promise<boolean> {
  const review = await client.request<AccessReview>({
    method: "POST",
    path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
    body: {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      spec: { resourceAttributes: attributes },
    },
  });
  return review.status?.allowed === true;
}

/**
 * Throws, saying what to do, unless the kubeconfig's user may impersonate the module's
 * ServiceAccount and its groups.
 */
export async function assertCanImpersonate(
  client: ApiClient,
  namespace: string,
  serviceAccount: string,
): Promise<void> {
  const { groups } = serviceAccountUser(namespace, serviceAccount);
  const missing: string[] = [];
  if (!(await allowed(client, { verb: "impersonate", resource: "serviceaccounts", namespace, name: serviceAccount })))
    missing.push(`serviceaccounts ${namespace}/${serviceAccount}`);
  for (const group of groups) {
    if (!(await allowed(client, { verb: "impersonate", resource: "groups", name: group })))
      missing.push(`group ${group}`);
  }
  if (missing.length > 0) {
    throw new Error(
      `your kubeconfig user may not impersonate ${missing.join(", ")}: capstan dev runs the module's API calls as its generated ServiceAccount to find missing RBAC rules before a deploy does. Ask for the impersonate verb on those, or run \`capstan dev --no-impersonate\` (the module then runs with your own rights)`,
    );
  }
}

/**
 * Waits until the authorizer applies the new bindings (RBAC caches them; a call made at once may
 * still be denied): checks, as the ServiceAccount, the first rule of each role.
 */
async function whenEffective(client: ApiClient, plan: DevRbacPlan): Promise<void> {
  const probes = [
    ...plan.rbac.namespaceRules.slice(0, 1).map((rule) => ({ rule, namespace: plan.namespace })),
    ...plan.rbac.clusterRules.slice(0, 1).map((rule) => ({ rule, namespace: undefined })),
  ];
  const deadline = Date.now() + EFFECTIVE_WITHIN_MS;
  for (const { rule, namespace } of probes) {
    const attributes: Record<string, string> = {
      verb: rule.verbs[0] ?? "get",
      group: rule.apiGroups[0] === "*" ? "" : (rule.apiGroups[0] ?? ""),
      resource: rule.resources[0] === "*" ? "pods" : (rule.resources[0] ?? ""),
      ...(namespace ? { namespace } : {}),
      ...(rule.resourceNames?.[0] ? { name: rule.resourceNames[0] } : {}),
    };
    while (!(await allowed(client, attributes)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

let appliedHere: { objects: readonly RbacObject[]; holder: string } | undefined;

/** Removes what this process applied (the module process does, when its session died without doing it). */
export async function removeAppliedDevRbac(client: ApiClient): Promise<void> {
  if (appliedHere) await removeDevRbac(client, appliedHere.objects, appliedHere.holder);
}

export interface ModuleClient {
  /** The client the module's K8s() calls and the engine use. */
  readonly client: ApiClient;
  /** What this process applied, for removal when the session is gone. */
  readonly applied: readonly RbacObject[];
  close(): Promise<void>;
}

/**
 * The dev module process's API client: with impersonation on, applies the module's generated RBAC
 * objects (with the user's rights) and returns a client that acts as the module's ServiceAccount,
 * reporting each distinct RBAC denial once through `report`.
 */
export async function devModuleClient(options: {
  readonly module: Pick<PeprModule, "config" | "capabilities">;
  readonly client: ApiClient;
  readonly namespace: string;
  readonly holder: string;
  readonly mode: RbacMode;
  readonly report: (line: string) => void;
}): Promise<ModuleClient> {
  const plan = devRbacPlan(options.module, options.namespace, options.holder, options.mode);
  const outcome = await applyDevRbac(options.client, plan);
  const serviceAccount = `${plan.namespace}/${plan.names.serviceAccount}`;
  if (outcome === "deployed") {
    options.report(
      `the module is deployed in this cluster: dev runs as its deployed ServiceAccount ${serviceAccount} with the deployed rules (redeploy to change them)`,
    );
  }
  if (outcome === "foreign") {
    options.report(
      `RBAC objects named ${plan.names.clusterRole} exist that capstan dev did not make (the module deployed in another namespace than ${plan.namespace}?): dev leaves them alone and runs the module with your own rights; run dev with --namespace <the deployed namespace> to run as the deployed ServiceAccount`,
    );
    return { client: options.client, applied: [], close: async () => {} };
  }
  const seen = new Set<string>();
  const flavor = flavorOf(options.module.config);
  const client = new ApiClient(options.client.connection, {
    impersonate: serviceAccountUser(plan.namespace, plan.names.serviceAccount),
    onApiError: (error, request) => {
      if (!isRbacDenial(error)) return;
      const line = forbiddenLine(error, request, serviceAccount, flavor);
      if (!line || seen.has(line)) return;
      seen.add(line);
      options.report(line);
    },
  });
  const applied = outcome === "applied" ? plan.objects.map(refOf) : [];
  if (outcome === "applied") {
    appliedHere = { objects: applied, holder: options.holder };
    await whenEffective(client, plan);
  }
  return { client, applied, close: () => client.close() };
}
