import { describe, expect, it } from "vitest";
import { ApiError } from "../../../src/k8s/errors.ts";
import { accessInMessage, accessOf, forbiddenLine, isRbacDenial } from "../../../src/runtime/dev-forbidden.ts";

const denied = (verb: string, resource: string, group: string, namespace?: string) => ({
  message: `PATCH /x failed with 403 Forbidden: ${resource} "x" is forbidden: User "system:serviceaccount:a:b" cannot ${verb} resource "${resource}" in API group "${group}"${namespace ? ` in the namespace "${namespace}"` : ""}`,
});

describe("a 403 in capstan dev, as the rule to add", () => {
  it("reads verb, group, resource and namespace from the request as the authorizer does", () => {
    const ns = "/api/v1/namespaces/team/configmaps";
    expect(accessOf({ method: "PATCH", path: `${ns}/x` })).toEqual({
      verb: "patch",
      apiGroup: "",
      resource: "configmaps",
      namespace: "team",
    });
    expect(accessOf({ path: ns })?.verb).toBe("list");
    expect(accessOf({ path: ns, query: { watch: true } })?.verb).toBe("watch");
    expect(accessOf({ path: `${ns}/x` })?.verb).toBe("get");
    expect(accessOf({ method: "POST", path: ns })?.verb).toBe("create");
    expect(accessOf({ method: "PUT", path: `${ns}/x` })?.verb).toBe("update");
    expect(accessOf({ method: "DELETE", path: `${ns}/x` })?.verb).toBe("delete");
    expect(accessOf({ method: "DELETE", path: ns })?.verb).toBe("deletecollection");
    expect(accessOf({ method: "PATCH", path: "/apis/apps/v1/namespaces/team/deployments/d/status" })).toEqual({
      verb: "patch",
      apiGroup: "apps",
      resource: "deployments/status",
      namespace: "team",
    });
    expect(accessOf({ path: "/apis/rbac.authorization.k8s.io/v1/clusterroles" })).toEqual({
      verb: "list",
      apiGroup: "rbac.authorization.k8s.io",
      resource: "clusterroles",
      namespace: undefined,
    });
    // The namespaces resource itself, and non-resource paths.
    expect(accessOf({ path: "/api/v1/namespaces/team" })).toMatchObject({ verb: "get", resource: "namespaces" });
    expect(accessOf({ path: "/version" })).toBeUndefined();
  });

  it("reads what was denied from the authorizer's message when there is one", () => {
    expect(accessInMessage(denied("create", "configmaps", "", "team").message)).toEqual({
      verb: "create",
      apiGroup: "",
      resource: "configmaps",
      namespace: "team",
    });
    expect(accessInMessage(denied("list", "widgets", "example.com").message)).toEqual({
      verb: "list",
      apiGroup: "example.com",
      resource: "widgets",
      namespace: undefined,
    });
    expect(accessInMessage("admission webhook denied the request")).toBeUndefined();
  });

  it("says what was denied, where, and the rule for the module's config in one line", () => {
    const patch = { method: "PATCH", path: "/api/v1/namespaces/team/configmaps/x" } as const;
    expect(
      forbiddenLine(denied("patch", "configmaps", "", "team"), patch, "capstan-system/capstan-demo", "capstan"),
    ).toBe(
      'RBAC: the module\'s ServiceAccount capstan-system/capstan-demo may not patch configmaps (apiGroup "") in namespace team, so this call fails once deployed; add to package.json capstan.rbac: {"apiGroups":[""],"resources":["configmaps"],"verbs":["patch"]}',
    );
    // A server-side apply needs create too (the API server checks it when the object is missing).
    const apply = { ...patch, contentType: "application/apply-patch+yaml" };
    for (const verb of ["patch", "create"]) {
      expect(forbiddenLine(denied(verb, "configmaps", "", "team"), apply, "ns/sa", "capstan")).toBe(
        `RBAC: the module's ServiceAccount ns/sa may not ${verb} configmaps (apiGroup "") in namespace team (an Apply creates or patches), so this call fails once deployed; add to package.json capstan.rbac: {"apiGroups":[""],"resources":["configmaps"],"verbs":["create","patch"]}`,
      );
    }
    // Without the authorizer's words, the request tells.
    expect(
      forbiddenLine(
        { message: "forbidden" },
        { path: "/apis/example.com/v1/widgets" },
        "pepr-system/pepr-demo",
        "pepr",
      )?.endsWith(
        'cluster-wide, so this call fails once deployed; add to package.json pepr.rbac: {"apiGroups":["example.com"],"resources":["widgets"],"verbs":["list"]}',
      ),
    ).toBe(true);
  });

  it("tells the authorizer's 403 from a webhook's denial", () => {
    const denial = (message: string) =>
      new ApiError({ status: 403, method: "PATCH", path: "/x", body: { message, reason: "Forbidden" } });
    expect(
      isRbacDenial(
        denial(
          'configmaps "x" is forbidden: User "system:serviceaccount:a:b" cannot patch resource "configmaps" in API group "" in the namespace "team"',
        ),
      ),
    ).toBe(true);
    expect(isRbacDenial(denial('admission webhook "v.capstan.dev" denied the request: no'))).toBe(false);
  });
});
