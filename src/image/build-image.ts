import { createHash } from "node:crypto";
import { MODULE_CHUNKS_MOUNT, MODULE_WORK_MOUNT, RUNTIME_ENTRY, RUNTIME_NODE_FLAGS } from "../contract/index.ts";
import { capstanLayer, type ModuleFiles, moduleLayer, nodeLayer } from "./app-layers.ts";
import { type DebianPackage, debianBase } from "./debian-base.ts";
import { blob, imageManifest, type Layer, layer, MediaType, referrer, writeLayout } from "./oci-layout.ts";
import { spdxDocument } from "./sbom.ts";

// `capstan image build`: base (Debian files), Node, capstan, module — four layers, in that order, so
// a module change re-pushes only the last, small one.

export const IMAGE_USER = { uid: 65532, name: "nonroot" } as const;

export interface ImageBuildOptions {
  /** `<repository>:<tag>` recorded in the layout's index (`org.opencontainers.image.ref.name` is the tag). */
  readonly reference: string;
  /** A folder (OCI layout) or a path ending in .tar (the layout as one archive). */
  readonly output: string;
  readonly capstanRoot: string;
  readonly nodePackageDir: string;
  readonly module: ModuleFiles & { readonly name: string; readonly version: string };
  readonly baseCacheDir: string;
  readonly baseDebsDir?: string;
}

export interface ImageBuildResult {
  readonly reference: string;
  readonly tag: string;
  /** Digest of the image manifest. */
  readonly digest: string;
  readonly layers: readonly { name: string; digest: string; size: number; uncompressedSize: number }[];
  /** Sum of the compressed layers and the config: what a registry stores and a node pulls. */
  readonly compressedBytes: number;
  readonly sbomDigest: string;
  /** The SBOM artifact's name in the layout and in a registry: `sha256-<image digest hex>.sbom`. */
  readonly sbomTag: string;
  readonly debianPackages: readonly DebianPackage[];
}

/** Splits `<repository>:<tag>` (tag default `latest`). */
export function splitReference(reference: string): { repository: string; tag: string } {
  const colon = reference.lastIndexOf(":");
  if (colon > reference.lastIndexOf("/"))
    return { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { repository: reference, tag: "latest" };
}

export function buildImage(options: ImageBuildOptions): ImageBuildResult {
  const { tag } = splitReference(options.reference);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) {
    throw new Error(`Invalid image tag "${tag}" in ${options.reference}: letters, digits, _ . - (at most 128)`);
  }
  const base = debianBase(
    { cacheDir: options.baseCacheDir, ...(options.baseDebsDir ? { debsDir: options.baseDebsDir } : {}) },
    IMAGE_USER,
  );
  base.entries.push(
    { type: "dir", path: "/app", mode: 0o755 },
    { type: "dir", path: MODULE_CHUNKS_MOUNT, mode: 0o755 },
    { type: "dir", path: MODULE_WORK_MOUNT, mode: 0o755, uid: IMAGE_USER.uid },
  );
  const node = nodeLayer(options.nodePackageDir);
  const capstan = capstanLayer(options.capstanRoot);
  const moduleEntries = moduleLayer(options.module);
  const moduleSha = createHash("sha256");
  for (const file of options.module.bundle) moduleSha.update(file.data);
  const moduleSha256 = moduleSha.digest("hex");
  const layers: Layer[] = [
    layer("debian-base", base.entries),
    layer("node", node.entries),
    layer("capstan", capstan.entries),
    layer("module", moduleEntries),
  ];
  const capstanVersion = capstan.packages.find((p) => p.name === "capstan")?.version ?? "0.0.0";
  const image = imageManifest(layers, {
    user: `${IMAGE_USER.uid}:${IMAGE_USER.uid}`,
    env: [
      "PATH=/usr/local/bin:/usr/bin:/bin",
      "NODE_ENV=production",
      "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
    ],
    entrypoint: ["node", ...RUNTIME_NODE_FLAGS, RUNTIME_ENTRY],
    cmd: ["--role", "admission"],
    workingDir: "/app",
    labels: {
      "org.opencontainers.image.title": options.module.name,
      "org.opencontainers.image.version": options.module.version,
      "dev.capstan.version": capstanVersion,
      "dev.capstan.node-version": node.version,
      "dev.capstan.module-sha256": moduleSha256,
    },
  });
  const imageDescriptor = {
    ...image.manifest.descriptor,
    annotations: { "org.opencontainers.image.ref.name": tag },
  };
  const sbom = blob(
    MediaType.spdx,
    Buffer.from(
      `${JSON.stringify(
        spdxDocument({
          reference: options.reference,
          digest: image.manifest.descriptor.digest,
          debian: base.packages,
          node: { version: node.version },
          npm: capstan.packages,
          module: { name: options.module.name, version: options.module.version, sha256: moduleSha256 },
        }),
        null,
        2,
      )}\n`,
    ),
  );
  const sbomArtifact = referrer(image.manifest.descriptor, MediaType.spdx, sbom);
  // A tag derived from the image digest, so registries without the referrers API (and skopeo, which
  // copies by name) carry the SBOM too; registries with it index the artifact by its `subject`.
  const sbomTag = `${image.manifest.descriptor.digest.replace(":", "-")}.sbom`;
  writeLayout(options.output, {
    manifests: [
      imageDescriptor,
      {
        ...sbomArtifact.manifest.descriptor,
        annotations: { "org.opencontainers.image.ref.name": sbomTag },
      },
    ],
    blobs: [image.config, image.manifest, ...layers, sbomArtifact.manifest, ...sbomArtifact.blobs],
  });
  return {
    reference: options.reference,
    tag,
    digest: image.manifest.descriptor.digest,
    layers: layers.map((l) => ({
      name: l.name,
      digest: l.descriptor.digest,
      size: l.descriptor.size,
      uncompressedSize: l.uncompressedSize,
    })),
    compressedBytes: layers.reduce((sum, l) => sum + l.descriptor.size, image.config.descriptor.size),
    sbomDigest: sbomArtifact.manifest.descriptor.digest,
    sbomTag,
    debianPackages: base.packages,
  };
}
