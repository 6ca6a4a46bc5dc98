import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";

// Pushing an OCI layout with skopeo (`skopeo copy oci:<layout>:<tag> docker://<reference>`): the
// registry protocol, credentials (`skopeo login`, REGISTRY_AUTH_FILE) and TLS are skopeo's.

export interface PushOptions {
  /** The layout folder or .tar archive `capstan image build` wrote. */
  readonly layout: string;
  /** The tag inside the layout. */
  readonly tag: string;
  /** `REGISTRY/NAME:TAG`. */
  readonly destination: string;
  /** Plain HTTP or an unverified certificate: allowed only for a registry on the loopback interface. */
  readonly insecureLoopback?: boolean;
  /** A folder of `*.crt`/`*.cert`/`*.key` for the registry (skopeo --dest-cert-dir). */
  readonly certDir?: string;
  /** The SBOM artifact's tag in the layout: pushed beside the image, in the same repository, under that tag. */
  readonly sbomTag?: string;
}

/** `REGISTRY/NAME` of `REGISTRY/NAME:TAG`. */
function repositoryOf(reference: string): string {
  const colon = reference.lastIndexOf(":");
  return colon > reference.lastIndexOf("/") ? reference.slice(0, colon) : reference;
}

export const SKOPEO_MISSING = "skopeo is not installed: install skopeo (apt-get install skopeo) to push images";

export function isLoopbackRegistry(destination: string): boolean {
  const host = destination.split("/")[0]?.replace(/:\d+$/, "") ?? "";
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function run(args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile("skopeo", args, { maxBuffer: 16 * 1024 * 1024, encoding: "buffer" }, (error, stdout, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === "ENOENT") reject(new Error(SKOPEO_MISSING));
      else if (error) reject(new Error(`skopeo ${args[0]} failed: ${stderr.toString().trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

function source(layout: string, tag: string): string {
  return `${layout.endsWith(".tar") ? "oci-archive" : "oci"}:${layout}:${tag}`;
}

/** Copies the image (and its SBOM, when named) to the registry; returns the image digest the registry holds. */
export async function pushImage(options: PushOptions): Promise<string> {
  if (options.insecureLoopback && !isLoopbackRegistry(options.destination)) {
    throw new Error(`--insecure is only for a registry on 127.0.0.1 or localhost, not ${options.destination}`);
  }
  const tls = options.insecureLoopback ? ["--dest-tls-verify=false"] : [];
  const certs = options.certDir ? ["--dest-cert-dir", options.certDir] : [];
  const copy = async (tag: string, destination: string): Promise<string> => {
    const digestFile = `${options.layout.replace(/\/+$/, "")}.pushed-digest`;
    await run([
      "copy",
      "--preserve-digests",
      "--digestfile",
      digestFile,
      ...tls,
      ...certs,
      source(options.layout, tag),
      `docker://${destination}`,
    ]);
    const digest = readFileSync(digestFile, "utf8").trim();
    rmSync(digestFile, { force: true });
    return digest;
  };
  const digest = await copy(options.tag, options.destination);
  if (options.sbomTag) await copy(options.sbomTag, `${repositoryOf(options.destination)}:${options.sbomTag}`);
  return digest;
}

/** The digest of the manifest a registry holds under `reference` (an image or an artifact): sha256 of its raw bytes. */
export async function remoteDigest(reference: string, insecureLoopback = false): Promise<string> {
  if (insecureLoopback && !isLoopbackRegistry(reference)) throw new Error("--insecure is only for a loopback registry");
  const raw = await run([
    "inspect",
    "--raw",
    ...(insecureLoopback ? ["--tls-verify=false"] : []),
    `docker://${reference}`,
  ]);
  return `sha256:${createHash("sha256").update(raw).digest("hex")}`;
}
