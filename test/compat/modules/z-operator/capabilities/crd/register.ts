import { K8s, kind, Log } from "pepr";

import { WebAppCRD } from "./source/webapp.crd";

// Applies the CRD; the module cannot work without it, so a failure ends the process.
export const RegisterCRD = () => {
  K8s(kind.CustomResourceDefinition)
    .Apply(WebAppCRD, { force: true })
    .then(() => Log.info("WebApp CRD registered"))
    .catch((err) => {
      Log.error(err, "WebApp CRD could not be registered");
      process.exit(1);
    });
};

RegisterCRD();
