import type { KubeObject } from "./manifest-input.ts";

// Reading a generated Deployment the way a kubelet would, for running its container as a host process
// (the local control plane has no kubelet): the command, the literal env and the projected chunk files.

export interface ContainerSpec {
  readonly name: string;
  readonly command: readonly string[];
  readonly env: readonly { name: string; value?: string; valueFrom?: unknown }[];
}

interface DeploymentShape {
  spec: {
    template: {
      spec: {
        serviceAccountName: string;
        containers: ContainerSpec[];
        volumes: { name: string; projected?: { sources: { secret: { name: string } }[] } }[];
      };
    };
  };
}

export function containerOf(deployment: KubeObject): ContainerSpec {
  const container = (deployment as unknown as DeploymentShape).spec.template.spec.containers[0];
  if (!container) throw new Error(`Deployment ${deployment.metadata.name} has no container`);
  return container;
}

/** The container's env with literal values; `valueFrom` entries (the pod name) are the caller's to add. */
export function literalEnv(deployment: KubeObject): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of containerOf(deployment).env) if (entry.value !== undefined) env[entry.name] = entry.value;
  return env;
}

/** The files the Deployment's projected module volume would hold: chunk key → bytes. */
export function projectedChunkFiles(deployment: KubeObject, objects: readonly KubeObject[]): Map<string, Buffer> {
  const spec = (deployment as unknown as DeploymentShape).spec.template.spec;
  const names = spec.volumes.flatMap((volume) => volume.projected?.sources.map((source) => source.secret.name) ?? []);
  const files = new Map<string, Buffer>();
  for (const name of names) {
    const secret = objects.find((object) => object.kind === "Secret" && object.metadata.name === name) as
      | (KubeObject & { data?: Record<string, string> })
      | undefined;
    if (!secret)
      throw new Error(`Deployment ${deployment.metadata.name} mounts Secret ${name}, which is not in the manifests`);
    for (const [key, value] of Object.entries(secret.data ?? {})) files.set(key, Buffer.from(value, "base64"));
  }
  return files;
}
