import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { deterministicTar, type LayerEntry } from "./tar.ts";

// An OCI image layout (image-layout spec v1.0): `oci-layout`, `index.json` and content-addressed
// `blobs/sha256/<hex>`, written as a folder or as one tar archive of that folder. Every JSON document
// is serialised with a fixed key order, so the same layers and settings give the same digests.

export const MediaType = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
  empty: "application/vnd.oci.empty.v1+json",
  spdx: "application/spdx+json",
} as const;

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
}

export interface Blob {
  readonly descriptor: Descriptor;
  readonly data: Buffer;
}

export interface Layer extends Blob {
  /** sha256 of the uncompressed tar (the config's `rootfs.diff_ids`). */
  readonly diffId: string;
  readonly name: string;
  readonly uncompressedSize: number;
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

export function blob(mediaType: string, data: Buffer, extra: Partial<Descriptor> = {}): Blob {
  return { descriptor: { mediaType, digest: sha256(data), size: data.length, ...extra }, data };
}

export function jsonBlob(mediaType: string, value: unknown, extra: Partial<Descriptor> = {}): Blob {
  return blob(mediaType, Buffer.from(JSON.stringify(value)), extra);
}

/**
 * A gzip-compressed layer. zlib writes a fixed gzip header (no name, mtime 0), so equal tars give
 * equal blobs with the same Node (zlib) version.
 */
export function layer(name: string, entries: readonly LayerEntry[]): Layer {
  const tar = deterministicTar(entries);
  // Level 6 (zlib's default): level 9 saves 0.3% of the Node layer and takes 2.5 times as long.
  const gz = gzipSync(tar, { level: 6 });
  return {
    ...blob(MediaType.layer, gz, { annotations: { "dev.capstan.layer": name } }),
    diffId: sha256(tar),
    name,
    uncompressedSize: tar.length,
  };
}

export interface ImageSettings {
  readonly user: string;
  readonly env: readonly string[];
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly workingDir: string;
  readonly labels: Record<string, string>;
}

export interface ImageManifest {
  readonly config: Blob;
  readonly manifest: Blob;
  readonly layers: readonly Layer[];
}

/** Config and manifest of an image (linux/amd64; no creation time, so the digest is reproducible). */
export function imageManifest(layers: readonly Layer[], settings: ImageSettings): ImageManifest {
  const config = jsonBlob(MediaType.config, {
    architecture: "amd64",
    os: "linux",
    config: {
      User: settings.user,
      Env: settings.env,
      Entrypoint: settings.entrypoint,
      Cmd: settings.cmd,
      WorkingDir: settings.workingDir,
      Labels: settings.labels,
    },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((l) => ({ created_by: `capstan image build: ${l.name}` })),
  });
  const manifest = jsonBlob(MediaType.manifest, {
    schemaVersion: 2,
    mediaType: MediaType.manifest,
    config: config.descriptor,
    layers: layers.map((l) => l.descriptor),
    annotations: settings.labels,
  });
  return { config, manifest, layers };
}

/** An OCI artifact (image-spec 1.1) whose `subject` is the image: how the SBOM travels with it. */
export function referrer(subject: Descriptor, artifactType: string, content: Blob): { manifest: Blob; blobs: Blob[] } {
  const empty = blob(MediaType.empty, Buffer.from("{}"));
  const manifest = jsonBlob(
    MediaType.manifest,
    {
      schemaVersion: 2,
      mediaType: MediaType.manifest,
      artifactType,
      config: empty.descriptor,
      layers: [content.descriptor],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    },
    { artifactType },
  );
  return { manifest, blobs: [empty, content] };
}

export interface LayoutContent {
  /** Index entries: the image (with its `org.opencontainers.image.ref.name`) and its referrers. */
  readonly manifests: readonly Descriptor[];
  readonly blobs: readonly Blob[];
}

function layoutFiles(content: LayoutContent): { path: string; data: Buffer }[] {
  const files = new Map<string, Buffer>();
  files.set("oci-layout", Buffer.from(JSON.stringify({ imageLayoutVersion: "1.0.0" })));
  files.set(
    "index.json",
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.index, manifests: content.manifests })),
  );
  for (const item of content.blobs) files.set(`blobs/sha256/${item.descriptor.digest.slice(7)}`, item.data);
  return [...files.entries()].map(([path, data]) => ({ path, data }));
}

/** Writes the layout as a folder (replaced) or, for a path ending in .tar, as one archive. */
export function writeLayout(target: string, content: LayoutContent): void {
  const files = layoutFiles(content);
  if (target.endsWith(".tar")) {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(
      target,
      deterministicTar(files.map((file) => ({ type: "file", path: `/${file.path}`, data: file.data }))),
    );
    return;
  }
  rmSync(target, { recursive: true, force: true });
  for (const file of files) {
    mkdirSync(dirname(join(target, file.path)), { recursive: true });
    writeFileSync(join(target, file.path), file.data);
  }
}
