import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { describe, expect, it } from "vitest";
import { kubeconfigEnv, kubeconfigFiles } from "../../../src/cli/kubeconfig-flags.ts";

const dir = mkdtempSync(join(tmpdir(), "capstan-kubeconfig-"));
const present = join(dir, "config");
writeFileSync(present, "current-context: a\n");
const missing = join(dir, "missing");

describe("kubeconfigFiles", () => {
  it("names a missing --kubeconfig file and what to do", () => {
    expect(() => kubeconfigFiles({ kubeconfig: missing }, {})).toThrow(
      `kubeconfig ${missing} (from --kubeconfig) does not exist: pass an existing file, or leave --kubeconfig out to use $KUBECONFIG or ~/.kube/config`,
    );
  });

  it("names a missing $KUBECONFIG file (not just 'set KUBECONFIG')", () => {
    expect(() => kubeconfigFiles({}, { KUBECONFIG: missing })).toThrow(
      new RegExp(
        `^kubeconfig ${missing} \\(from \\$KUBECONFIG\\) does not exist: point KUBECONFIG at an existing file or pass --kubeconfig <file>`,
      ),
    );
  });

  it("takes the existing files of $KUBECONFIG, and --kubeconfig over it", () => {
    expect(kubeconfigFiles({}, { KUBECONFIG: [missing, present].join(delimiter) })).toEqual([present]);
    expect(kubeconfigFiles({ kubeconfig: present }, { KUBECONFIG: missing })).toEqual([present]);
  });

  it("without any, says which default file is missing and what to do", () => {
    const home = process.env.HOME;
    process.env.HOME = dir; // os.homedir() reads HOME: a home without .kube/config
    try {
      expect(() => kubeconfigFiles({}, {})).toThrow(
        `no kubeconfig: $KUBECONFIG is not set and ${join(dir, ".kube", "config")} does not exist: pass --kubeconfig <file> or set KUBECONFIG`,
      );
      // In a pod, the service account is used instead.
      expect(kubeconfigFiles({}, { KUBERNETES_SERVICE_HOST: "10.0.0.1" })).toBeUndefined();
    } finally {
      process.env.HOME = home;
    }
  });
});

describe("kubeconfigEnv", () => {
  it("puts a file setting only the current context first when --context is given", () => {
    expect(kubeconfigEnv({ kubeconfig: present })).toBe(present);
    const value = kubeconfigEnv({ kubeconfig: present, context: "other" }) as string;
    const [selector, rest] = value.split(delimiter);
    expect(rest).toBe(present);
    expect(readFileSync(selector as string, "utf8")).toBe('current-context: "other"\n');
  });
});
