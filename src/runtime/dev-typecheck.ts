import { resolve } from "node:path";
import { Worker } from "node:worker_threads";
import type { TypeCheckResult } from "./dev-typecheck-worker.ts";

export interface DevTypeChecker {
  /** The type errors of the module's own files reachable from its entry, one line each. */
  check(): Promise<readonly string[]>;
  close(): Promise<void>;
}

/** Starts the session's type checker (a worker thread that keeps its program between checks). */
export function startTypeChecker(moduleDir: string, entry: string): DevTypeChecker {
  // The worker is a sibling file: .ts in a checkout (Node strips the types), .js in the package.
  const extension = import.meta.url.endsWith(".ts") ? "ts" : "js";
  const worker = new Worker(new URL(`./dev-typecheck-worker.${extension}`, import.meta.url), {
    workerData: { moduleDir: resolve(moduleDir), entry },
  });
  const pending = new Map<number, { resolve: (errors: readonly string[]) => void; reject: (error: Error) => void }>();
  let broken: Error | undefined;
  let next = 0;
  worker.on("message", (result: TypeCheckResult) => {
    pending.get(result.id)?.resolve(result.errors);
    pending.delete(result.id);
  });
  const fail = (error: Error) => {
    broken = error;
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  };
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`the type checker exited (${code})`)));
  return {
    check() {
      if (broken) return Promise.reject(broken);
      const id = ++next;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id });
      });
    },
    async close() {
      worker.removeAllListeners("exit");
      await worker.terminate();
    },
  };
}
