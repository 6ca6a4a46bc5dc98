import { Log, PeprModule } from "pepr";
import type { AdmissionRequest } from "pepr/src/lib/common-types";
import type { MutateResponse, ValidateResponse } from "pepr/src/lib/k8s";
import { HelloPeprHooks } from "./capabilities/hello-pepr-hooks";
// cfg loads the package.json: the module's Pepr configuration is under its `pepr` key
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprHooks], {
  beforeHook: (request: AdmissionRequest) => {
    Log.info(
      { uid: request.uid, kind: request.kind.kind, name: request.name, operation: request.operation },
      "before hook",
    );
  },
  afterHook: (response: MutateResponse | ValidateResponse) => {
    Log.info({ uid: response.uid, allowed: response.allowed, patched: "patch" in response }, "after hook");
  },
});
