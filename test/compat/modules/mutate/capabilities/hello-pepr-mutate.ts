import { a, Capability } from "pepr";

export const HelloPeprMutate = new Capability({
  name: "hello-pepr-mutate",
  description: "A Mutate() on ConfigMaps: labels and annotations set and removed",
  namespaces: ["compat-mutate"],
});

const { When } = HelloPeprMutate;

When(a.ConfigMap)
  .IsCreatedOrUpdated()
  .WithName("example-1")
  .Mutate((request) => {
    request
      .SetLabel("pepr", "was-here")
      .SetAnnotation("pepr.dev", "annotations-work")
      .RemoveLabel("remove-me")
      .RemoveAnnotation("remove-me");
  });

When(a.ConfigMap)
  .IsCreated()
  .WithLabel("change", "by-label")
  .Mutate((request) => {
    const { data } = request.Raw;
    data["pepr-status"] = request.HasAnnotation("mutate.pepr.dev/hello-pepr-mutate")
      ? (request.Raw.metadata?.annotations?.["mutate.pepr.dev/hello-pepr-mutate"] ?? "")
      : "none";
    request.Merge({ data: { changed: "by-label" } });
  });

When(a.ConfigMap)
  .IsCreated()
  .WithName("example-throws")
  .Mutate(() => {
    throw new Error("the mutation failed on purpose");
  });
