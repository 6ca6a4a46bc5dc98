import { a, Capability, Log } from "pepr";

import Deploy from "./controller/generators";
import "./crd/register";
import { WebApp } from "./crd/generated/webapp-v1alpha1";
import { RegisterCRD } from "./crd/register";
import { WebAppCRD } from "./crd/source/webapp.crd";
import { validator } from "./crd/validator";
import { reconciler } from "./reconciler";

export const WebAppController = new Capability({
  name: "webapp-controller",
  description: "An operator for WebApps",
  namespaces: [],
});

const { When, Store } = WebAppController;

// Each created or updated WebApp is validated, then reconciled (one event after the other).
When(WebApp)
  .IsCreatedOrUpdated()
  .Validate(validator)
  .Reconcile(async (instance) => {
    Log.info({ webapp: instance.metadata.name }, "WebApp reconcile started");
    try {
      await Store.setItemAndWait(instance.metadata.name, JSON.stringify(instance));
      await reconciler(instance);
    } catch (error) {
      Log.error(error, "Error reconciling instance of WebApp");
    } finally {
      Log.info({ webapp: instance.metadata.name }, "WebApp reconcile finished");
    }
  });

// A deleted WebApp is forgotten before its owned objects go.
When(WebApp)
  .IsDeleted()
  .Mutate(async (instance) => {
    await Store.removeItemAndWait(instance.Raw.metadata.name);
  });

// The CRD comes back if someone deletes it.
When(a.CustomResourceDefinition)
  .IsDeleted()
  .WithName(WebAppCRD.metadata.name)
  .Watch(() => {
    RegisterCRD();
  });

// An owned object deleted by hand is applied again from the stored WebApp.
const redeploy = async (owned: a.GenericKind) => {
  const stored = Store.getItem(owned.metadata?.labels?.["pepr.dev/operator"] ?? "");
  if (!stored) return;
  await Deploy(JSON.parse(stored) as WebApp);
};

When(a.Deployment).IsDeleted().WithLabel("pepr.dev/operator").Watch(redeploy);
When(a.Service).IsDeleted().WithLabel("pepr.dev/operator").Watch(redeploy);
When(a.ConfigMap).IsDeleted().WithLabel("pepr.dev/operator").Watch(redeploy);
