// Whether a container image exists, asked of its registry the way a puller starts: HEAD on the
// manifest (Docker Registry HTTP API v2 / OCI distribution), with the anonymous bearer-token flow
// when the registry answers 401 with a `WWW-Authenticate: Bearer` challenge.

export interface ImageReference {
  /** `ghcr.io`, `registry-1.docker.io` for Docker Hub, `127.0.0.1:5000`. */
  readonly registry: string;
  /** `capstan-dev/capstan-runtime`, `library/node` for Docker Hub's official images. */
  readonly repository: string;
  /** A tag or a digest (`sha256:…`). */
  readonly reference: string;
}

export type ImageCheck =
  | { readonly state: "exists" }
  | { readonly state: "missing" }
  | { readonly state: "denied"; readonly reason: string }
  | { readonly state: "unknown"; readonly reason: string };

export interface ImageCheckOptions {
  /** Per request. Default 3000 ms. */
  readonly timeoutMs?: number;
}

/** Splits `[registry/]repository[:tag][@digest]` as container runtimes do (Docker Hub when no registry). */
export function parseImageReference(image: string): ImageReference {
  let rest = image.trim();
  let reference = "latest";
  const at = rest.indexOf("@");
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  const hasRegistry = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  if (!rest || !reference) throw new Error(`Invalid image "${image}": use <repository>[:<tag>]`);
  if (hasRegistry) return { registry: first, repository: rest.slice(slash + 1), reference };
  const repository = rest.includes("/") ? rest : `library/${rest}`;
  return { registry: "registry-1.docker.io", repository, reference };
}

const ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** Registries on the loopback interface are spoken to over plain HTTP, as container runtimes allow. */
function baseUrl(registry: string): string {
  const host = registry.replace(/:\d+$/, "");
  const local = host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
  return `${local ? "http" : "https"}://${registry}`;
}

/** The parameters of a `Bearer realm="…",service="…",scope="…"` challenge. */
function bearerChallenge(header: string | null): Record<string, string> | undefined {
  if (!header || !/^bearer\s/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const match of header.slice(7).matchAll(/(\w+)="([^"]*)"/g)) params[match[1] as string] = match[2] as string;
  return params.realm ? params : undefined;
}

async function anonymousToken(
  challenge: Record<string, string>,
  repository: string,
  timeoutMs: number,
): Promise<string | undefined> {
  const url = new URL(challenge.realm as string);
  if (challenge.service) url.searchParams.set("service", challenge.service);
  url.searchParams.set("scope", challenge.scope ?? `repository:${repository}:pull`);
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) return undefined;
  const body = (await response.json()) as { token?: string; access_token?: string };
  return body.token ?? body.access_token;
}

function cause(error: unknown): string {
  if (error instanceof Error && error.name === "TimeoutError") return "the registry did not answer in time";
  const inner = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (inner?.code) return `${inner.code}${inner.message ? ` (${inner.message})` : ""}`;
  return error instanceof Error ? error.message : String(error);
}

/** Asks the image's registry whether its manifest exists; never throws. */
export async function checkImage(image: string, options: ImageCheckOptions = {}): Promise<ImageCheck> {
  const timeoutMs = options.timeoutMs ?? 3000;
  let ref: ImageReference;
  try {
    ref = parseImageReference(image);
  } catch (error) {
    return { state: "unknown", reason: error instanceof Error ? error.message : String(error) };
  }
  const url = `${baseUrl(ref.registry)}/v2/${ref.repository}/manifests/${ref.reference}`;
  const head = (token?: string) =>
    fetch(url, {
      method: "HEAD",
      headers: { accept: ACCEPT, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      signal: AbortSignal.timeout(timeoutMs),
    });
  try {
    let response = await head();
    if (response.status === 401) {
      const challenge = bearerChallenge(response.headers.get("www-authenticate"));
      const token = challenge ? await anonymousToken(challenge, ref.repository, timeoutMs) : undefined;
      if (!token) {
        return { state: "denied", reason: `${ref.registry} refuses anonymous access to ${ref.repository}` };
      }
      response = await head(token);
    }
    if (response.ok) return { state: "exists" };
    if (response.status === 404) return { state: "missing" };
    if (response.status === 401 || response.status === 403) {
      return { state: "denied", reason: `${ref.registry} refuses anonymous access to ${ref.repository}` };
    }
    return { state: "unknown", reason: `${ref.registry} answered HTTP ${response.status}` };
  } catch (error) {
    return { state: "unknown", reason: cause(error) };
  }
}

/** The sentence `capstan build` prints about the image its manifests use. */
export function describeImageCheck(image: string, check: ImageCheck): string {
  switch (check.state) {
    case "exists":
      return `the manifests use image ${image}: exists`;
    case "missing":
      return `the manifests use image ${image}: not found — build it (docs/deploy.md, "The runtime image") or pass --image`;
    case "denied":
      return `the manifests use image ${image}: not found or private (${check.reason}) — build it or pass --image; a private image needs imagePullSecrets`;
    case "unknown":
      return `the manifests use image ${image}: could not check: ${check.reason}`;
  }
}

/** The container images of the Deployments among `objects` (the runtime image, once per image). */
export function deploymentImages(objects: readonly { kind: string; spec?: unknown }[]): string[] {
  const images = new Set<string>();
  for (const object of objects) {
    if (object.kind !== "Deployment") continue;
    const spec = object.spec as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined;
    for (const container of spec?.template?.spec?.containers ?? []) if (container.image) images.add(container.image);
  }
  return [...images];
}
