import { a, Capability, PeprUtils, R, sdk } from "pepr";

const namespace = "z-secret-sdk";

export const HelloPeprSecrets = new Capability({
  name: "z-secret-sdk",
  description: "Secret data and the sdk helpers",
  namespaces: [namespace],
});

const { When } = HelloPeprSecrets;

// A Secret's data reaches Mutate decoded and is encoded again after the callback; values that are
// not text stay as they were.
When(a.Secret)
  .IsCreated()
  .WithName("secret-1")
  .Mutate((request) => {
    const secret = request.Raw;
    secret.data.magic = "change-without-encoding";
    secret.data.example += " - modified by Pepr";
    request.SetAnnotation("decoded-keys", Object.keys(R.pick(["example", "magic"], secret.data)).join(","));
  });

// sdk.containers lists a Pod's containers of every type; PeprUtils encodes and decodes base64.
When(a.Pod)
  .IsCreated()
  .WithName("pod-1")
  .Mutate((request) => {
    const names = sdk.containers(request).map((container) => container.name);
    const regular = sdk.containers(request, "containers").map((container) => container.name);
    request.SetAnnotation("all-containers", names.join(","));
    request.SetAnnotation("regular-containers", regular.join(","));
    request.SetAnnotation("encoded", PeprUtils.base64Encode(names.join(",")));
    request.SetAnnotation("round-trip", PeprUtils.base64Decode(PeprUtils.base64Encode("pepr")));
  });
