import type { PeprValidateRequest } from "pepr";

import type { WebApp } from "./generated/webapp-v1alpha1";

const forbidden = new Set(["default", "kube-system", "kube-public", "pepr-system"]);

export async function validator(req: PeprValidateRequest<WebApp>) {
  const namespace = req.Raw.metadata?.namespace ?? "";
  if (req.Raw.spec.replicas > 7) return req.Deny("a WebApp runs at most 7 replicas");
  if (forbidden.has(namespace)) return req.Deny(`WebApps are not allowed in namespace ${namespace}`);
  return req.Approve();
}
