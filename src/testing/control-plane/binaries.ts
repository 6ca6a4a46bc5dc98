import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface ControlPlaneBinaries {
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
}

export const buildScript = fileURLToPath(new URL("../../../scripts/build-control-plane.sh", import.meta.url));

/**
 * Returns the cached etcd, kube-apiserver and kube-controller-manager binaries, building them
 * from the Go module proxy first if this version has never been built on this machine.
 */
export async function ensureBinaries(onProgress: (line: string) => void = () => {}): Promise<ControlPlaneBinaries> {
  if (!existsSync(buildScript)) throw new Error(`the control-plane build script is missing at ${buildScript}`);
  const dir = await new Promise<string>((resolve, reject) => {
    const child = execFile("bash", [buildScript], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const tail = stderr.trim().split("\n").slice(-15).join("\n");
        reject(new Error(`building the local control plane failed (${buildScript}):\n${tail}`));
      } else resolve(stdout.trim().split("\n").pop() ?? "");
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) if (line.startsWith("[capstan")) onProgress(line);
    });
  });
  return {
    etcd: `${dir}/etcd`,
    kubeApiserver: `${dir}/kube-apiserver`,
    kubeControllerManager: `${dir}/kube-controller-manager`,
  };
}
