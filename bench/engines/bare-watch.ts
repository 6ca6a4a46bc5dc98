// The watch scenario's floor: bare-watch-process.ts as a target beside the engines (watch only).
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Engine, EngineStartOptions, RunningEngine } from "./engine.ts";
import { EngineProcess } from "./engine-process.ts";
import { benchPaths } from "./paths.ts";

export const BARE_WATCH = "bare node:https watch";

export const bareWatchEngine: Engine = {
  name: BARE_WATCH,
  version: process.version,
  async prepare() {},
  async start(options: EngineStartOptions): Promise<RunningEngine> {
    if (options.scenario !== "watch") throw new Error("the bare watcher only takes part in the watch scenario");
    const dir = join(benchPaths.work, "bare-watch");
    mkdirSync(dir, { recursive: true });
    const child = new EngineProcess({
      label: BARE_WATCH,
      command: process.execPath,
      args: [fileURLToPath(new URL("./bare-watch-process.ts", import.meta.url)), options.kubeconfig, options.namespace],
      env: process.env,
      logFile: join(dir, `run-${randomBytes(4).toString("hex")}.log`),
    });
    return {
      pid: child.pid,
      spawnedAt: child.spawnedAt,
      mutateUrl: "",
      validateUrl: "",
      healthUrl: "",
      caCert: "",
      waitFor: (event, name, timeoutMs) => child.waitFor(event, name, timeoutMs),
      onEvent: (listener) => child.onEvent(listener),
      usage: () => child.usage(),
      async ready(timeoutMs = 60_000) {
        await child.waitFor("ready", "watch", timeoutMs);
      },
      stop: () => child.stop(),
    };
  },
};
