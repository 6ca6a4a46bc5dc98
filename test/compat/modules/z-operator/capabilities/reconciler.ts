import { K8s, Log, sdk } from "pepr";

import Deploy from "./controller/generators";
import { Phase, type Status, WebApp } from "./crd/generated/webapp-v1alpha1";

const { writeEvent } = sdk;

/** Brings the cluster to what the WebApp asks for, once per generation. */
export async function reconciler(instance: WebApp) {
  if (!instance.metadata?.namespace) {
    Log.error(instance, "Invalid WebApp definition");
    return;
  }
  const pending = instance.status?.phase === Phase.Pending;
  const done = instance.metadata.generation === instance.status?.observedGeneration;
  if (pending || done) {
    Log.debug(instance, "Skipping pending or completed instance");
    return;
  }
  const { namespace, name } = instance.metadata;
  Log.debug(instance, `Processing instance ${namespace}/${name}`);
  try {
    await updateStatus(instance, { phase: Phase.Pending });
    await Deploy(instance);
    await updateStatus(instance, { phase: Phase.Ready, observedGeneration: instance.metadata.generation });
  } catch (error) {
    Log.error(error, `Error configuring for ${namespace}/${name}`);
    void updateStatus(instance, { phase: Phase.Failed, observedGeneration: instance.metadata.generation });
  }
}

async function updateStatus(instance: WebApp, status: Status) {
  await writeEvent(
    instance,
    { message: status.phase },
    {
      eventType: "Normal",
      eventReason: "InstanceCreatedOrUpdated",
      reportingComponent: instance.metadata.name,
      reportingInstance: instance.metadata.name,
    },
  );
  await K8s(WebApp).PatchStatus({
    metadata: { name: instance.metadata.name, namespace: instance.metadata.namespace },
    status,
  });
}
