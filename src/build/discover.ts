import { fork } from "node:child_process";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import type { ModuleConfig } from "../model/index.ts";
import type { CapabilityDescription } from "./module-description.ts";

export interface DiscoveredModule {
  readonly config: ModuleConfig;
  readonly capabilities: readonly CapabilityDescription[];
  /** Whether the module has a `beforeHook` or `afterHook`. */
  readonly hooks: boolean;
}

type ChildMessage = ({ ok: true } & DiscoveredModule) | { ok: false; error: string };

/** Env a module sees while the build loads it (Pepr modules look at `PEPR_MODE`). */
export const BUILD_MODE_ENV: Readonly<Record<string, string>> = { CAPSTAN_MODE: "build", PEPR_MODE: "build" };

/**
 * Loads the bundle in a child process and returns what it registered, without running a callback.
 * The child is killed after `timeoutMs` (a module whose top level never finishes).
 */
export function discoverModule(bundlePath: string, timeoutMs = 30_000): Promise<DiscoveredModule> {
  const here = import.meta.url;
  const child = fileURLToPath(new URL(`./discover-child${extname(fileURLToPath(here))}`, here));
  return new Promise((resolvePromise, reject) => {
    const process_ = fork(child, [bundlePath], {
      env: { ...process.env, ...BUILD_MODE_ENV },
      stdio: ["ignore", "inherit", "pipe", "ipc"],
      execArgv: ["--enable-source-maps"],
    });
    let stderr = "";
    let settled = false;
    const finish = (error: Error | undefined, value?: DiscoveredModule) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolvePromise(value as DiscoveredModule);
    };
    const timer = setTimeout(() => {
      process_.kill("SIGKILL");
      finish(new Error(`Loading the module took longer than ${timeoutMs} ms: does its top level wait on something?`));
    }, timeoutMs);
    process_.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    process_.on("message", (message: ChildMessage) => {
      if (message.ok) {
        finish(undefined, {
          config: message.config,
          capabilities: message.capabilities,
          hooks: message.hooks === true,
        });
      } else finish(new Error(`Loading the module failed: ${message.error}`));
    });
    process_.on("error", (error) => finish(error));
    process_.on("exit", (code, signal) => {
      finish(
        new Error(`Loading the module exited (${signal ?? `code ${code}`}) before describing it\n${stderr.trim()}`),
      );
    });
  });
}
