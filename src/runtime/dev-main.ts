import { pathToFileURL } from "node:url";
import { ApiClient } from "../k8s/api-client.ts";
import { type PeprModule, setModuleStarter } from "../model/module.ts";
import { Log } from "../telemetry/logger.ts";
import { DevEnv } from "./dev-contract.ts";
import { endWithSession } from "./dev-guard.ts";
import { startDevRole } from "./dev-role.ts";

/**
 * The entry of the module process `capstan dev` starts (`node …/runtime/dev-main.js`): it first
 * ties its life to the session's (before the module code can hang or throw), then loads the
 * bundle, which constructs a `PeprModule`, and serves it in the dev role.
 */
let runtime: Awaited<ReturnType<typeof startDevRole>> | undefined;

async function devMain(): Promise<void> {
  endWithSession(() => runtime?.close());
  const file = process.env[DevEnv.moduleFile];
  if (!file) throw new Error(`${DevEnv.moduleFile} is not set: this process is started by \`capstan dev\``);
  const client = await ApiClient.fromKubeconfig();
  const started = new Promise<PeprModule>((resolve) => setModuleStarter((module) => resolve(module)));
  await import(pathToFileURL(file).href);
  const module = await Promise.race([
    started,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("the module code did not construct a PeprModule within 30 s")), 30_000).unref(),
    ),
  ]);
  const running = await startDevRole(module, client);
  runtime = running;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      Log.info({ signal }, "shutting down");
      running
        .close()
        .then(() => client.close())
        .finally(() => process.exit(0));
    });
  }
}

devMain().catch((error: unknown) => {
  Log.fatal({ err: error }, "capstan dev: the module failed to start");
  process.exit(1);
});
