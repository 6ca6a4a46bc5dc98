import { Command } from "commander";
import { Labels, PeprLabels } from "../../build/runtime-contract.ts";
import type { ApiClient } from "../../k8s/api-client.ts";
import { flavorNames, flavors } from "../../model/flavor.ts";
import { connectWithFlags, contextOption, type KubeconfigFlags, kubeconfigOption } from "../kubeconfig-flags.ts";

interface DeploymentItem {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

export interface DeployedModule {
  readonly uuid: string;
  readonly namespace: string;
  readonly roles: string[];
  readonly description: string;
}

/**
 * The modules deployed in the cluster, from their Deployments' uuid label: `capstan.dev/uuid`, or
 * `pepr.dev/uuid` for Pepr-mode modules (and modules Pepr itself deployed).
 */
export async function deployedModules(client: ApiClient, uuid?: string): Promise<DeployedModule[]> {
  const modules = new Map<string, DeployedModule>();
  for (const flavor of flavors) {
    const names = flavorNames(flavor);
    const list = await client.request<{ items: DeploymentItem[] }>({
      path: "/apis/apps/v1/deployments",
      query: { labelSelector: uuid ? `${names.uuidLabel}=${uuid}` : names.uuidLabel },
    });
    for (const { metadata } of list.items) {
      const id = metadata.labels?.[names.uuidLabel] ?? "";
      const key = `${metadata.namespace}/${id}`;
      const module = modules.get(key) ?? {
        uuid: id,
        namespace: metadata.namespace,
        roles: [],
        description: metadata.annotations?.[names.descriptionAnnotation] ?? "",
      };
      const role = metadata.labels?.[Labels.component] ?? metadata.labels?.[PeprLabels.controller] ?? metadata.name;
      if (!module.roles.includes(role)) module.roles.push(role);
      modules.set(key, module);
    }
  }
  return [...modules.values()].sort((a, b) => a.uuid.localeCompare(b.uuid));
}

export function formatModules(modules: readonly DeployedModule[]): string {
  const rows = [
    ["UUID", "NAMESPACE", "ROLES", "DESCRIPTION"],
    ...modules.map((m) => [m.uuid, m.namespace, m.roles.sort().join(","), m.description]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function uuidCommand(): Command {
  return new Command("uuid")
    .description("list the modules deployed in the cluster, capstan's and Pepr's (uuid, namespace, roles, description)")
    .argument("[uuid]", "show only this module")
    .addOption(kubeconfigOption())
    .addOption(contextOption())
    .action(async (uuid: string | undefined, flags: KubeconfigFlags) => {
      const client = await connectWithFlags(flags);
      const modules = await deployedModules(client, uuid);
      if (modules.length === 0) {
        process.stderr.write(
          uuid ? `capstan: no module ${uuid} is deployed\n` : "capstan: no capstan module is deployed\n",
        );
        if (uuid) process.exitCode = 1;
        return;
      }
      process.stdout.write(`${formatModules(modules)}\n`);
    });
}
