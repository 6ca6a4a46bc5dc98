import { Log } from "../telemetry/index.ts";
import { endWithSession } from "./dev-guard.ts";
import { runtimeMain } from "./main.ts";

// The entry of the module process `capstan dev` starts (`node …/runtime/dev-main.js`): it first ties
// its life to the session's (before the module code can hang or throw), then runs the dev role
// as every runtime role runs.

endWithSession();
runtimeMain(["--role", "dev"]).catch((error: unknown) => {
  Log.fatal({ err: error }, "capstan dev: the module failed to start");
  process.exit(1);
});
