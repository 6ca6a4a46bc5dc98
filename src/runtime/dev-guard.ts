import { deleteCelPolicies, deleteWebhookConfigurations } from "../admission/index.ts";
import { ApiClient } from "../k8s/index.ts";
import { DevEnv } from "./dev-contract.ts";
import { isDevLeaseFree, releaseDevLease } from "./dev-lease.ts";
import { removeAppliedDevRbac } from "./dev-rbac.ts";

const GIVE_UP_MS = 2_000;
const EXIT_MS = 4_000;

let policyNames: readonly string[] = [];

/** The ValidateCEL policies this process reported to the session: removed with the webhooks if the session dies. */
export function rememberDevPolicies(names: readonly string[]): void {
  policyNames = names;
}

/**
 * Ties the module process to its `capstan dev` session: the IPC channel closes whenever the
 * session process ends, SIGKILL included. This process then removes the session's webhook
 * configurations and Lease (the session can no longer do it) and stops (its SIGTERM handler closes
 * the runtime), all within a few seconds.
 */
export function endWithSession(): void {
  if (!process.channel) return;
  process.channel.unref();
  process.once("disconnect", () => {
    setTimeout(() => process.exit(0), EXIT_MS);
    void Promise.race([release(), new Promise((resolve) => setTimeout(resolve, GIVE_UP_MS))])
      .catch(() => {})
      // Before the runtime installs its handler, SIGTERM ends the process at once.
      .finally(() => process.kill(process.pid, "SIGTERM"));
  });
}

async function release(): Promise<void> {
  const configuration = process.env[DevEnv.configurationName];
  const lease = process.env[DevEnv.sessionLease];
  const holder = process.env[DevEnv.sessionHolder];
  const client = await ApiClient.fromKubeconfig({ headersTimeoutMs: GIVE_UP_MS });
  try {
    // Only while this session still holds the module: another session's webhooks stay.
    if (lease && holder && !(await isDevLeaseFree(client, lease, holder))) return;
    if (configuration) await deleteWebhookConfigurations(client, configuration);
    await deleteCelPolicies(client, policyNames);
    if (lease && holder) await releaseDevLease(client, lease, holder);
    await removeAppliedDevRbac(client);
  } finally {
    await client.close();
  }
}
