import { a, Capability } from "pepr";

export const HelloPeprValidate = new Capability({
  name: "hello-pepr-validate",
  description: "Validate() on ConfigMaps: approve, deny, warn",
  namespaces: ["compat-validate"],
});

const { When } = HelloPeprValidate;

When(a.ConfigMap)
  .IsCreated()
  .InNamespace("compat-validate")
  .Validate((request) => {
    if (request.HasLabel("pass")) {
      return request.Approve();
    }
    return request.Deny("ConfigMap must carry the label 'pass'", 422);
  });

When(a.Secret)
  .IsCreatedOrUpdated()
  .InNamespace("compat-validate")
  .Validate((request) => {
    const warnings: string[] = [];
    if (request.HasLabel("deprecated")) {
      warnings.push("the label 'deprecated' is deprecated: use 'legacy'");
    }
    if (request.Raw.type === "Opaque" && !request.HasAnnotation("owner")) {
      warnings.push("Secrets should name their owner in the annotation 'owner'");
    }
    if (request.HasLabel("deny")) {
      return request.Deny("Secrets labelled 'deny' are refused", 403, warnings);
    }
    return request.Approve(warnings);
  });
