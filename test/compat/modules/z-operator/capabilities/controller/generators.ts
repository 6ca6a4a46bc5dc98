import { K8s, kind, Log, sdk } from "pepr";

import type { WebApp } from "../crd/generated/webapp-v1alpha1";

const { getOwnerRefFrom } = sdk;

const label = "pepr.dev/operator";

/** Applies the WebApp's Deployment, Service and page ConfigMap, each owned by the WebApp. */
export default async function Deploy(instance: WebApp) {
  try {
    await Promise.all([
      K8s(kind.Deployment).Apply(deployment(instance), { force: true }),
      K8s(kind.Service).Apply(service(instance), { force: true }),
      K8s(kind.ConfigMap).Apply(configmap(instance), { force: true }),
    ]);
  } catch (error) {
    Log.error(error, "Failed to apply the WebApp's objects");
  }
}

function meta(instance: WebApp, name = instance.metadata.name) {
  return {
    name,
    namespace: instance.metadata.namespace,
    ownerReferences: getOwnerRefFrom(instance),
    labels: { [label]: instance.metadata.name },
  };
}

function deployment(instance: WebApp) {
  const selector = { [label]: instance.metadata.name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta(instance),
    spec: {
      replicas: instance.spec.replicas,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: selector },
        spec: {
          containers: [
            {
              name: "server",
              image: "nginx:1.27-alpine",
              ports: [{ containerPort: 80 }],
              volumeMounts: [{ name: "content", mountPath: "/usr/share/nginx/html" }],
            },
          ],
          volumes: [{ name: "content", configMap: { name: `web-content-${instance.metadata.name}` } }],
        },
      },
    },
  };
}

function service(instance: WebApp) {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(instance),
    spec: {
      selector: { [label]: instance.metadata.name },
      ports: [{ protocol: "TCP", port: 80, targetPort: 80 }],
      type: "ClusterIP",
    },
  };
}

const greeting = { en: "Hello from the WebApp operator", es: "Hola desde el operador WebApp" };
const colours = { dark: "background: #111; color: #eee;", light: "background: #fff; color: #222;" };

function configmap(instance: WebApp) {
  const { language, theme } = instance.spec;
  const page = `<!DOCTYPE html><html lang="${language}"><head><style>body { ${colours[theme]} }</style></head><body><h1>${greeting[language]}</h1></body></html>`;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta(instance, `web-content-${instance.metadata.name}`),
    data: { "index.html": page },
  };
}
