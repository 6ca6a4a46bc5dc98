import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LayerEntry } from "./tar.ts";

// The base layer: the few files Node 24's binary needs from Debian (found with `ldd`: the C library,
// libm, libdl, libpthread, libstdc++, libgcc_s), CA certificates and time zone data. The .deb files
// come from apt (`apt-get download` into a cache folder) or from a folder the caller fills (air-gapped
// hosts); `dpkg-deb -x` unpacks them and only the listed files are kept: no shell, no package manager.

export interface BasePackageSpec {
  readonly name: string;
  /** Paths inside the package (no leading slash) to keep. */
  readonly keep: RegExp;
}

const copyright = (name: string) => new RegExp(`^usr/share/doc/${name.replace(/[+.]/g, "\\$&")}/copyright$`);

/** What the base keeps of each package (copyright files included: the licences travel with the bits). */
export const BASE_PACKAGES: readonly BasePackageSpec[] = [
  {
    name: "libc6",
    keep: new RegExp(
      "^(lib64/ld-linux-x86-64\\.so\\.2|(usr/)?lib/x86_64-linux-gnu/(ld-linux-x86-64\\.so\\.2|libc\\.so\\.6|libm\\.so\\.6|" +
        "libdl\\.so\\.2|libpthread\\.so\\.0|librt\\.so\\.1|libresolv\\.so\\.2|libnss_dns\\.so\\.2|libnss_files\\.so\\.2)|" +
        "usr/share/doc/libc6/copyright)$",
    ),
  },
  {
    name: "libgcc-s1",
    keep: /^((usr\/)?lib\/x86_64-linux-gnu\/libgcc_s\.so\.1|usr\/share\/doc\/libgcc-s1\/copyright)$/,
  },
  {
    name: "libstdc++6",
    keep: /^((usr\/)?lib\/x86_64-linux-gnu\/libstdc\+\+\.so\.6(\.0\.\d+)?|usr\/share\/doc\/libstdc\+\+6\/copyright)$/,
  },
  { name: "ca-certificates", keep: copyright("ca-certificates") },
  { name: "tzdata", keep: /^(usr\/share\/zoneinfo\/(?!right\/|posix\/).+|usr\/share\/doc\/tzdata\/copyright)$/ },
];

export interface DebianPackage {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  /** sha256 of the .deb file. */
  readonly sha256: string;
  readonly file: string;
}

export interface BaseLayer {
  readonly entries: LayerEntry[];
  readonly packages: DebianPackage[];
}

export interface BaseOptions {
  /** Where downloaded .deb files are kept between builds. */
  readonly cacheDir: string;
  /** A folder of .deb files to use instead of apt (each package exactly once); nothing is downloaded. */
  readonly debsDir?: string;
}

function tool(command: string, args: readonly string[], cwd?: string): string {
  try {
    return execFileSync(command, args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      ...(cwd ? { cwd } : {}),
    });
  } catch (error) {
    const failed = error as { code?: string; stderr?: string; message: string };
    if (failed.code === "ENOENT") {
      throw new Error(
        `${command} is not installed: the image's base is made from Debian packages (apt-get install ${command === "dpkg-deb" ? "dpkg" : "apt"}), or pass --base-debs <folder of .deb files>`,
      );
    }
    throw new Error(`${command} ${args.join(" ")} failed: ${(failed.stderr ?? failed.message).trim()}`);
  }
}

/** The candidate version and architecture apt would install (`apt-get update` must have run). */
function candidate(name: string): { version: string; architecture: string } {
  const shown = tool("apt-cache", ["show", "--no-all-versions", name]);
  const version = /^Version: (.+)$/m.exec(shown)?.[1];
  const architecture = /^Architecture: (.+)$/m.exec(shown)?.[1];
  if (!version || !architecture) {
    throw new Error(`apt knows no package ${name}: run apt-get update (or pass --base-debs <folder>)`);
  }
  return { version, architecture };
}

/** The file name `apt-get download` writes. */
function debFileName(name: string, version: string, architecture: string): string {
  return `${name}_${version.replace(/:/g, "%3a")}_${architecture}.deb`;
}

function locateDebs(options: BaseOptions): string[] {
  if (options.debsDir) {
    const files = readdirSync(options.debsDir).filter((file) => file.endsWith(".deb"));
    return BASE_PACKAGES.map(({ name }) => {
      const matches = files.filter((file) => file.startsWith(`${name}_`));
      if (matches.length !== 1) {
        throw new Error(
          `${options.debsDir} must hold exactly one ${name}_*.deb (found ${matches.length}): the base needs ${BASE_PACKAGES.map((p) => p.name).join(", ")}`,
        );
      }
      return join(options.debsDir as string, matches[0] as string);
    });
  }
  mkdirSync(options.cacheDir, { recursive: true });
  return BASE_PACKAGES.map(({ name }) => {
    const { version, architecture } = candidate(name);
    const file = join(options.cacheDir, debFileName(name, version, architecture));
    if (!existsSync(file)) tool("apt-get", ["download", "-q", `${name}=${version}`], options.cacheDir);
    if (!existsSync(file)) throw new Error(`apt-get download ${name}=${version} wrote no ${file}`);
    return file;
  });
}

function walk(root: string, dir = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const path = dir ? `${dir}/${name}` : name;
    const stat = lstatSync(join(root, path));
    if (stat.isDirectory()) out.push(...walk(root, path));
    else out.push(path);
  }
  return out;
}

/** Ordinary files are 0644, or 0755 when any execute bit is set; owners are root. */
function fileEntry(root: string, path: string): LayerEntry {
  const full = join(root, path);
  const stat = lstatSync(full);
  if (stat.isSymbolicLink()) return { type: "symlink", path: `/${path}`, target: readlinkSync(full) };
  return { type: "file", path: `/${path}`, data: readFileSync(full), mode: stat.mode & 0o111 ? 0o755 : 0o644 };
}

/** The Debian base: kept package files, a CA bundle, /etc/passwd with the non-root user, dpkg status stanzas. */
export function debianBase(options: BaseOptions, user: { uid: number; name: string }): BaseLayer {
  const entries: LayerEntry[] = [];
  const packages: DebianPackage[] = [];
  const scratch = mkdtempSync(join(tmpdir(), "capstan-base-"));
  try {
    for (const [index, file] of locateDebs(options).entries()) {
      const spec = BASE_PACKAGES[index] as BasePackageSpec;
      const fields = tool("dpkg-deb", ["-f", file, "Package", "Version", "Architecture"]);
      const field = (key: string) => new RegExp(`^${key}: (.+)$`, "m").exec(fields)?.[1] ?? "";
      if (field("Package") !== spec.name) throw new Error(`${file} is package ${field("Package")}, not ${spec.name}`);
      const data = readFileSync(file);
      packages.push({
        name: spec.name,
        version: field("Version"),
        architecture: field("Architecture"),
        sha256: createHash("sha256").update(data).digest("hex"),
        file,
      });
      const dir = join(scratch, spec.name);
      mkdirSync(dir);
      tool("dpkg-deb", ["-x", file, dir]);
      const kept = walk(dir).filter((path) => spec.keep.test(path));
      if (!kept.some((path) => !path.startsWith("usr/share/doc/"))) {
        if (spec.name !== "ca-certificates") throw new Error(`${file} holds none of the files the image needs`);
      }
      for (const path of kept) entries.push(fileEntry(dir, path));
      if (spec.name === "ca-certificates") {
        const mozilla = join(dir, "usr/share/ca-certificates/mozilla");
        const certs = readdirSync(mozilla)
          .filter((name) => name.endsWith(".crt"))
          .sort();
        if (!certs.length) throw new Error(`${file} holds no certificates under usr/share/ca-certificates/mozilla`);
        const bundle = Buffer.concat(certs.map((name) => readFileSync(join(mozilla, name))));
        entries.push({ type: "file", path: "/etc/ssl/certs/ca-certificates.crt", data: bundle });
      }
      // A dpkg status stanza per package (the distroless convention), so image scanners see the packages.
      const control = tool("dpkg-deb", ["-f", file]).trimEnd();
      entries.push({
        type: "file",
        path: `/var/lib/dpkg/status.d/${spec.name}`,
        data: Buffer.from(`${control.replace(/^Version:/m, "Status: install ok installed\nVersion:")}\n`),
      });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  entries.push(
    {
      type: "file",
      path: "/etc/passwd",
      data: Buffer.from(
        `root:x:0:0:root:/root:/sbin/nologin\n${user.name}:x:${user.uid}:${user.uid}:${user.name}:/home/${user.name}:/sbin/nologin\n`,
      ),
    },
    { type: "file", path: "/etc/group", data: Buffer.from(`root:x:0:\n${user.name}:x:${user.uid}:\n`) },
    { type: "file", path: "/etc/nsswitch.conf", data: Buffer.from("passwd: files\ngroup: files\nhosts: files dns\n") },
    { type: "dir", path: `/home/${user.name}`, mode: 0o755, uid: user.uid },
    { type: "dir", path: "/root", mode: 0o700 },
    { type: "dir", path: "/tmp", mode: 0o1777 },
  );
  return { entries, packages };
}
