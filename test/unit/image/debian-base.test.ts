import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BASE_PACKAGES, debianBase } from "../../../src/image/debian-base.ts";

// The base's package list and what it keeps, and the errors of --base-debs (air-gapped hosts).

const dir = mkdtempSync(join(tmpdir(), "capstan-debs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const user = { uid: 65532, name: "nonroot" };

describe("the Debian base", () => {
  it("keeps Node's shared libraries, certificates and zone data, and no shell or package manager", () => {
    const keeps = (name: string, path: string) => BASE_PACKAGES.find((p) => p.name === name)?.keep.test(path) ?? false;
    expect(BASE_PACKAGES.map((p) => p.name)).toEqual(["libc6", "libgcc-s1", "libstdc++6", "ca-certificates", "tzdata"]);
    expect(keeps("libc6", "lib/x86_64-linux-gnu/libc.so.6")).toBe(true);
    expect(keeps("libc6", "lib64/ld-linux-x86-64.so.2")).toBe(true);
    expect(keeps("libc6", "usr/bin/ldd")).toBe(false);
    expect(keeps("libc6", "sbin/ldconfig")).toBe(false);
    expect(keeps("libc6", "usr/lib/x86_64-linux-gnu/gconv/UTF-16.so")).toBe(false);
    expect(keeps("libstdc++6", "usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30")).toBe(true);
    expect(keeps("libgcc-s1", "lib/x86_64-linux-gnu/libgcc_s.so.1")).toBe(true);
    expect(keeps("tzdata", "usr/share/zoneinfo/Europe/Berlin")).toBe(true);
    expect(keeps("tzdata", "usr/share/zoneinfo/right/Europe/Berlin")).toBe(false);
    expect(keeps("tzdata", "usr/sbin/tzconfig")).toBe(false);
  });

  it("--base-debs needs exactly one .deb of each package, and says which", () => {
    expect(() => debianBase({ cacheDir: dir, debsDir: dir }, user)).toThrow(
      /must hold exactly one libc6_\*\.deb \(found 0\): the base needs libc6, libgcc-s1, libstdc\+\+6, ca-certificates, tzdata/,
    );
    writeFileSync(join(dir, "libc6_1_amd64.deb"), "");
    writeFileSync(join(dir, "libc6_2_amd64.deb"), "");
    expect(() => debianBase({ cacheDir: dir, debsDir: dir }, user)).toThrow(/exactly one libc6_\*\.deb \(found 2\)/);
  });
});
