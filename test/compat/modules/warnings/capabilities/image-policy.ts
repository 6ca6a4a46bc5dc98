import { a, Capability } from "pepr";

export const ImagePolicy = new Capability({
  name: "image-policy",
  description: "Warns and denies on data",
  namespaces: ["compat-warnings"],
});

const { When } = ImagePolicy;

When(a.ConfigMap)
  .IsCreatedOrUpdated()
  .Validate((request) => {
    const image = request.Raw.data?.image ?? "";
    if (image.endsWith(":latest")) {
      return request.Approve([`image-policy: ${image} uses the 'latest' tag`]);
    }
    if (image.startsWith("untrusted.example/")) {
      return request.Deny(`image-policy: ${image} comes from an untrusted registry`, 400, [
        "image-policy: see the registry allow-list",
      ]);
    }
    return request.Approve();
  });
