import { a, Capability } from "pepr";

export const LabelPolicy = new Capability({
  name: "label-policy",
  description: "Warns about missing labels",
  namespaces: ["compat-warnings"],
});

const { When } = LabelPolicy;

When(a.ConfigMap)
  .IsCreatedOrUpdated()
  .Validate((request) => {
    const warnings: string[] = [];
    if (!request.HasLabel("app")) warnings.push("label-policy: ConfigMaps should have an 'app' label");
    if (!request.HasLabel("team")) warnings.push("label-policy: ConfigMaps should have a 'team' label");
    return request.Approve(warnings);
  });
