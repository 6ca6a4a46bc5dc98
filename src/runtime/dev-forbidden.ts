import { type PolicyRule, ruleToAdd } from "../build/rbac.ts";
import type { ApiError, ApiRequest } from "../k8s/index.ts";
import type { Flavor } from "../model/index.ts";

/** What a denied request asked for, in RBAC's terms. */
export interface DeniedAccess {
  readonly verb: string;
  readonly apiGroup: string;
  /** With the subresource: `pods/log`, `configmaps`. */
  readonly resource: string;
  /** Undefined for cluster-scoped objects and requests across all namespaces. */
  readonly namespace: string | undefined;
}

/**
 * The RBAC verb, group, resource and namespace of a resource request (undefined for non-resource
 * paths such as `/version`), as the API server's authorizer sees them.
 */
export function accessOf(request: Pick<ApiRequest, "method" | "path" | "query">): DeniedAccess | undefined {
  const segments = request.path.split("?")[0]?.split("/").filter(Boolean).map(decodeURIComponent) ?? [];
  let rest: string[];
  let apiGroup: string;
  if (segments[0] === "api" && segments.length >= 3) {
    apiGroup = "";
    rest = segments.slice(2);
  } else if (segments[0] === "apis" && segments.length >= 4) {
    apiGroup = segments[1] ?? "";
    rest = segments.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource] = rest;
  if (!plural) return undefined;
  const resource = subresource ? `${plural}/${subresource}` : plural;
  const method = request.method ?? "GET";
  const watching = request.query?.watch === true || request.query?.watch === "true" || request.query?.watch === 1;
  const verb =
    method === "GET"
      ? name
        ? "get"
        : watching
          ? "watch"
          : "list"
      : method === "POST"
        ? "create"
        : method === "PUT"
          ? "update"
          : method === "PATCH"
            ? "patch"
            : name
              ? "delete"
              : "deletecollection";
  return { verb, apiGroup, resource, namespace };
}

/** What the authorizer's message says was denied (`… cannot create resource "configmaps" in API group "" in the namespace "x"`). */
export function accessInMessage(message: string): DeniedAccess | undefined {
  const match = /\bcannot (\S+) resource "([^"]*)" in API group "([^"]*)"(?: in the namespace "([^"]*)")?/.exec(
    message,
  );
  if (!match) return undefined;
  const [, verb = "", resource = "", apiGroup = "", namespace] = match;
  return { verb, apiGroup, resource, namespace };
}

const APPLY = "application/apply-patch+yaml";

/**
 * One line for a 403 the module's ServiceAccount got in `capstan dev`: what was denied (as the
 * authorizer says, else as the request reads), where, and the rule to add to the module's config.
 * A server-side apply (`K8s().Apply`) needs create as well as patch: the rule names both.
 */
export function forbiddenLine(
  error: Pick<ApiError, "message">,
  request: Pick<ApiRequest, "method" | "path" | "query" | "contentType">,
  serviceAccount: string,
  flavor: Flavor,
): string | undefined {
  const access = accessInMessage(error.message) ?? accessOf(request);
  if (!access) return undefined;
  const apply = request.contentType === APPLY && (access.verb === "patch" || access.verb === "create");
  const rule: PolicyRule = {
    apiGroups: [access.apiGroup],
    resources: [access.resource],
    verbs: apply ? ["create", "patch"] : [access.verb],
  };
  const where = access.namespace ? `in namespace ${access.namespace}` : "cluster-wide";
  return (
    `RBAC: the module's ServiceAccount ${serviceAccount} may not ${access.verb} ${access.resource} ` +
    `(apiGroup "${access.apiGroup}") ${where}${apply ? " (an Apply creates or patches)" : ""}, so this call fails once deployed; ${ruleToAdd(rule, flavor)}`
  );
}

/** Whether an API answer is the authorizer's 403 (not a webhook's denial, a quota or Pod Security). */
export function isRbacDenial(error: ApiError): boolean {
  return error.status === 403 && /\bcannot \S+ resource "/.test(error.message);
}
