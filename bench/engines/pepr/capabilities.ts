// What `pepr build` and `pepr dev` do to learn a module's bindings: run the bundle with
// PEPR_MODE=build, where PeprModule sends its capabilities over IPC instead of starting.
import { fork } from "node:child_process";

export function discoverCapabilities(bundle: string, env: NodeJS.ProcessEnv): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const child = fork(bundle, [], {
      env: { ...env, LOG_LEVEL: "warn", PEPR_MODE: "build" },
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.once("message", (message) => {
      resolve(message as unknown[]);
      // Pepr's loader leaves the child to its CLI's exit; the harness lives on, so end it here.
      child.kill();
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      reject(new Error(`the Pepr module exited (${code}) in build mode before sending its capabilities:\n${stderr}`)),
    );
  });
}
