import { a, Capability } from "pepr";

export const HelloPeprUpdateDelete = new Capability({
  name: "hello-pepr-update-delete",
  description: "Admission of updates and deletes",
  namespaces: ["compat-update-delete"],
});

const { When } = HelloPeprUpdateDelete;

When(a.ConfigMap)
  .IsDeleted()
  .Validate((request) => {
    if (request.OldResource?.metadata?.labels?.protected === "true") {
      return request.Deny(`ConfigMap ${request.OldResource.metadata.name} is protected`);
    }
    return request.Approve();
  });

When(a.ConfigMap)
  .IsUpdated()
  .Validate((request) => {
    const before = request.OldResource?.data?.immutable;
    const after = request.Raw.data?.immutable;
    if (before !== undefined && before !== after) {
      return request.Deny(`data.immutable cannot change (was ${before})`);
    }
    return request.Approve();
  });

When(a.ConfigMap)
  .IsUpdated()
  .Mutate((request) => {
    const revision = Number(request.OldResource?.metadata?.annotations?.revision ?? "0");
    request.SetAnnotation("revision", String(revision + 1));
  });
