import { Command } from "commander";
import { Labels, resourceNames } from "../../contract/index.ts";
import type { ApiClient } from "../../k8s/index.ts";
import { NotFoundError } from "../../k8s/index.ts";
import { flavorNames } from "../../model/index.ts";
import { peprRecordOf } from "../../schedule/index.ts";
import { exportToPepr, PEPR_STORE_NAMESPACE } from "../../store/index.ts";
import { connectWithFlags, contextOption, kubeconfigOption } from "../kubeconfig-flags.ts";

interface ExportFlags {
  toPepr?: boolean;
  uuid?: string;
  namespace: string;
  peprNamespace: string;
  force?: boolean;
  kubeconfig?: string;
  context?: string;
}

interface DeploymentStatus {
  metadata?: { labels?: Record<string, string> };
  spec?: { replicas?: number };
  status?: { replicas?: number };
}

/** capstan's Deployments of the module that still have pods: writes they make after the export would not reach Pepr. */
async function runningDeployments(client: ApiClient, namespace: string, uuid: string): Promise<string[]> {
  const names = resourceNames(uuid, "pepr");
  const running: string[] = [];
  for (const name of [names.deployment("admission"), names.deployment("controller")]) {
    try {
      const deployment = await client.request<DeploymentStatus>({
        path: `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`,
      });
      const capstans = deployment.metadata?.labels?.[Labels.managedBy] === "capstan";
      if (capstans && ((deployment.spec?.replicas ?? 1) > 0 || (deployment.status?.replicas ?? 0) > 0)) {
        running.push(name);
      }
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  return running;
}

function exportCommand(): Command {
  return new Command("export")
    .description(
      "write a Pepr-mode module's Store back into the PeprStore objects Pepr 1.1.4 reads, to roll back to Pepr (docs/migrating-from-pepr.md, Rollback)",
    )
    .option("--to-pepr", "export into Pepr's PeprStore objects (the only target)")
    .requiredOption("--uuid <uuid>", "the module's uuid (package.json pepr.uuid)")
    .option("--namespace <ns>", "the module's namespace (where capstan's store shards are)", PEPR_STORE_NAMESPACE)
    .option("--pepr-namespace <ns>", "where Pepr reads its PeprStore objects", PEPR_STORE_NAMESPACE)
    .option("--force", "export although capstan's Deployments of the module still have pods")
    .addOption(kubeconfigOption())
    .addOption(contextOption())
    .action(async (flags: ExportFlags) => {
      if (!flags.toPepr) throw new Error("say where to export: --to-pepr (the only target so far)");
      const uuid = flags.uuid ?? "";
      const client = await connectWithFlags(flags);
      try {
        const running = await runningDeployments(client, flags.namespace, uuid);
        if (running.length > 0 && !flags.force) {
          throw new Error(
            `capstan still runs module ${uuid} (${running.join(", ")} in ${flags.namespace}); writes made after the export would not reach Pepr. Scale them to 0 (kubectl scale deployment -n ${flags.namespace} ${running.join(" ")} --replicas=0), then export again; --force exports anyway`,
          );
        }
        const prefix = flavorNames("pepr").objectPrefix(uuid);
        const result = await exportToPepr({
          client,
          namespace: flags.namespace,
          storeName: `${prefix}-store`,
          scheduleName: `${prefix}-schedule`,
          peprNamespace: flags.peprNamespace,
          scheduleRecord: peprRecordOf,
        });
        process.stderr.write(
          `capstan: wrote ${result.keys} keys (${result.bytes} bytes) to peprstore ${prefix}-store and ${result.schedules} schedule record(s) to ${prefix}-schedule in ${flags.peprNamespace}` +
            (result.schedulesSkipped > 0 ? `; ${result.schedulesSkipped} schedule(s) start afresh under Pepr` : "") +
            "\n",
        );
      } finally {
        await client.close();
      }
    });
}

export function storeCommand(): Command {
  return new Command("store").description("a module's Store on the cluster").addCommand(exportCommand());
}
