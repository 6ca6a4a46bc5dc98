import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { layer } from "../../../src/image/oci-layout.ts";
import { deterministicTar, type LayerEntry } from "../../../src/image/tar.ts";

// The layer tars, read back by GNU tar: entries, modes, owners, long paths (PAX), symlinks.

const work = mkdtempSync(join(tmpdir(), "capstan-tar-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const longDir = `/app/node_modules/${"a".repeat(120)}/${"b".repeat(90)}`;
const entries: LayerEntry[] = [
  { type: "file", path: "/usr/local/bin/node", data: Buffer.from("#!binary"), mode: 0o755 },
  { type: "file", path: "/etc/passwd", data: Buffer.from("root:x:0:0::/root:/sbin/nologin\n") },
  { type: "dir", path: "/app/module", uid: 65532 },
  { type: "dir", path: "/tmp", mode: 0o1777 },
  { type: "symlink", path: "/lib64/ld-linux-x86-64.so.2", target: "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" },
  { type: "file", path: `${longDir}/${"c".repeat(80)}.js`, data: Buffer.from("export {};\n") },
];

function untar(tar: Buffer): { dir: string; listing: string } {
  const dir = mkdtempSync(join(work, "x-"));
  const file = join(dir, "layer.tar");
  writeFileSync(file, tar);
  const listing = execFileSync("tar", ["-tvf", file, "--numeric-owner"], { encoding: "utf8" });
  execFileSync("tar", ["-xpf", file, "-C", dir, "--numeric-owner"]);
  return { dir, listing };
}

describe("deterministic layer tars", () => {
  it("GNU tar reads every entry back with its mode, owner, target and long path", () => {
    const { dir, listing } = untar(deterministicTar(entries));
    expect(readFileSync(join(dir, "usr/local/bin/node"), "utf8")).toBe("#!binary");
    expect(statSync(join(dir, "usr/local/bin/node")).mode & 0o7777).toBe(0o755);
    expect(statSync(join(dir, "etc/passwd")).mode & 0o7777).toBe(0o644);
    expect(statSync(join(dir, "tmp")).mode & 0o7777).toBe(0o1777);
    expect(statSync(join(dir, "app/module")).uid).toBe(65532);
    expect(readlinkSync(join(dir, "lib64/ld-linux-x86-64.so.2"))).toBe("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    expect(readFileSync(join(dir, `${longDir.slice(1)}/${"c".repeat(80)}.js`), "utf8")).toBe("export {};\n");
    // Parents are added, every entry is owned by a number and dated 1970.
    expect(listing).toMatch(/^drwxr-xr-x 0\/0\s+0 1970-01-01 00:00 app\/$/m);
    expect(listing).not.toMatch(/PaxHeaders/);
  });

  it("is sorted and byte-identical whatever order the entries come in", () => {
    const forward = deterministicTar(entries);
    const backward = deterministicTar([...entries].reverse());
    expect(backward.equals(forward)).toBe(true);
    const names = execFileSync("tar", ["-tf", "-"], { input: forward, encoding: "utf8" }).trim().split("\n");
    expect(names).toEqual([...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    // The gzip layer and its digests too.
    expect(layer("x", entries).descriptor.digest).toBe(layer("x", [...entries].reverse()).descriptor.digest);
  });

  it("refuses one path from two inputs and paths that climb out", () => {
    expect(() =>
      deterministicTar([
        { type: "file", path: "/app/a", data: Buffer.from("1") },
        { type: "file", path: "/app/a", data: Buffer.from("2") },
      ]),
    ).toThrow(/Two layer entries for \/app\/a/);
    expect(() => deterministicTar([{ type: "file", path: "/app/../etc/x", data: Buffer.alloc(0) }])).toThrow(
      /without \. or \.\. segments/,
    );
  });
});
