import { execFile } from "node:child_process";

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
}

export const SKOPEO_MISSING = "skopeo is not installed: install skopeo (apt-get install skopeo) to push images";

export function isLoopbackRegistry(destination: string): boolean {
  const host = destination.split("/")[0]?.replace(/:\d+$/, "") ?? "";
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function run(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("skopeo", args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === "ENOENT") reject(new Error(SKOPEO_MISSING));
      else if (error) reject(new Error(`skopeo ${args[0]} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

function source(layout: string, tag: string): string {
  return `${layout.endsWith(".tar") ? "oci-archive" : "oci"}:${layout}:${tag}`;
}

/** Copies the image to the registry; returns the manifest digest the registry holds. */
export async function pushImage(options: PushOptions): Promise<string> {
  if (options.insecureLoopback && !isLoopbackRegistry(options.destination)) {
    throw new Error(`--insecure is only for a registry on 127.0.0.1 or localhost, not ${options.destination}`);
  }
  const tls = options.insecureLoopback ? ["--dest-tls-verify=false"] : [];
  const certs = options.certDir ? ["--dest-cert-dir", options.certDir] : [];
  const digestFile = `${options.layout.replace(/\/+$/, "")}.pushed-digest`;
  await run([
    "copy",
    "--preserve-digests",
    "--digestfile",
    digestFile,
    ...tls,
    ...certs,
    source(options.layout, options.tag),
    `docker://${options.destination}`,
  ]);
  const { readFileSync, rmSync } = await import("node:fs");
  const digest = readFileSync(digestFile, "utf8").trim();
  rmSync(digestFile, { force: true });
  return digest;
}

/** The manifest digest of an image in a registry (`skopeo inspect`). */
export async function remoteDigest(reference: string, insecureLoopback = false): Promise<string> {
  if (insecureLoopback && !isLoopbackRegistry(reference)) throw new Error(`--insecure is only for a loopback registry`);
  const out = await run(["inspect", ...(insecureLoopback ? ["--tls-verify=false"] : []), `docker://${reference}`]);
  return (JSON.parse(out) as { Digest: string }).Digest;
}
