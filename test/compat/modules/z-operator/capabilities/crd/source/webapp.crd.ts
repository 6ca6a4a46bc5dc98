// The CustomResourceDefinition the operator applies when it starts.
const enumOf = (values: string[], description?: string) => ({ type: "string", enum: values, description });

export const WebAppCRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "webapps.z-operator.pepr.io" },
  spec: {
    group: "z-operator.pepr.io",
    scope: "Namespaced",
    names: { plural: "webapps", singular: "webapp", kind: "WebApp", shortNames: ["zwa"] },
    versions: [
      {
        name: "v1alpha1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              apiVersion: { type: "string" },
              kind: { type: "string" },
              metadata: { type: "object" },
              spec: {
                type: "object",
                required: ["theme", "language", "replicas"],
                properties: {
                  theme: enumOf(["dark", "light"], "The page's colours."),
                  language: enumOf(["en", "es"], "The page's language."),
                  replicas: { type: "integer", description: "Replicas of the Deployment." },
                },
              },
              status: {
                type: "object",
                properties: {
                  observedGeneration: { type: "integer" },
                  phase: enumOf(["Failed", "Pending", "Ready"]),
                },
              },
            },
          },
        },
      },
    ],
  },
};
