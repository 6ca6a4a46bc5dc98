import { Command } from "commander";
import { Labels, PeprLabels } from "../../contract/index.ts";
import type { ApiClient } from "../../k8s/index.ts";
import { NotFoundError } from "../../k8s/index.ts";
import { flavorNames, flavors } from "../../model/index.ts";
import { connectWithFlags, contextOption, kubeconfigOption } from "../kubeconfig-flags.ts";

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
  // Webhook configurations whose Deployments are gone reject what they match: list their module too.
  for (const orphan of await webhookOnlyModules(client, uuid)) {
    if (![...modules.values()].some((module) => module.uuid === orphan.uuid))
      modules.set(`webhooks/${orphan.uuid}`, orphan);
  }
  return [...modules.values()].sort((a, b) => a.uuid.localeCompare(b.uuid));
}

interface WebhookItem {
  metadata: { labels?: Record<string, string> };
  webhooks?: { clientConfig?: { service?: { namespace: string } } }[];
}

async function webhookOnlyModules(client: ApiClient, uuid?: string): Promise<DeployedModule[]> {
  const found = new Map<string, DeployedModule>();
  for (const flavor of flavors) {
    const { uuidLabel } = flavorNames(flavor);
    for (const [, plural] of webhookKinds) {
      const list = await client.request<{ items: WebhookItem[] }>({
        path: `/apis/admissionregistration.k8s.io/v1/${plural}`,
        query: { labelSelector: uuid ? `${uuidLabel}=${uuid}` : uuidLabel },
      });
      for (const item of list.items) {
        const id = item.metadata.labels?.[uuidLabel] ?? "";
        const namespace = item.webhooks?.find((webhook) => webhook.clientConfig?.service)?.clientConfig?.service
          ?.namespace;
        if (!found.has(id)) found.set(id, { uuid: id, namespace: namespace ?? "", roles: [], description: "" });
      }
    }
  }
  return [...found.values()];
}

interface DeploymentState {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { replicas?: number };
  status?: { availableReplicas?: number };
}

/** Whether a deployed module serves: every Deployment fully available, and webhooks where it admits. */
export interface ModuleStatus {
  readonly ready: boolean;
  /** Per role: `admission 2/2`. */
  readonly pods: readonly string[];
  /** `mutating`, `validating`: the webhook configurations present. */
  readonly webhooks: readonly string[];
  /** Why it is not ready, for the line under the table. */
  readonly problems: readonly string[];
}

const webhookKinds = [
  ["mutating", "mutatingwebhookconfigurations"],
  ["validating", "validatingwebhookconfigurations"],
] as const;

export async function moduleStatus(client: ApiClient, module: DeployedModule): Promise<ModuleStatus> {
  const pods: string[] = [];
  const problems: string[] = [];
  let admits = false;
  const webhooks = new Set<string>();
  for (const flavor of flavors) {
    const names = flavorNames(flavor);
    const list = await client.request<{ items: DeploymentState[] }>({
      path: module.namespace
        ? `/apis/apps/v1/namespaces/${encodeURIComponent(module.namespace)}/deployments`
        : "/apis/apps/v1/deployments",
      query: { labelSelector: `${names.uuidLabel}=${module.uuid}` },
    });
    for (const deployment of list.items) {
      const labels = deployment.metadata.labels ?? {};
      const role = labels[Labels.component] ?? labels[PeprLabels.controller] ?? deployment.metadata.name;
      if (role === "admission") admits = true;
      const desired = deployment.spec?.replicas ?? 1;
      const available = deployment.status?.availableReplicas ?? 0;
      pods.push(`${role} ${available}/${desired}`);
      if (available < desired) problems.push(`${role} ${available}/${desired} pods available`);
    }
    for (const [label, plural] of webhookKinds) {
      const name = encodeURIComponent(names.objectPrefix(module.uuid));
      try {
        await client.request({ path: `/apis/admissionregistration.k8s.io/v1/${plural}/${name}` });
        webhooks.add(label);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
  }
  if (admits && webhooks.size === 0) problems.push("no webhook configuration: admission requests do not reach it");
  if (pods.length === 0) {
    problems.push(
      webhooks.size > 0
        ? `webhook configurations without a Deployment reject the requests they match: capstan undeploy ${module.uuid} removes them`
        : "no Deployment",
    );
  }
  return { ready: problems.length === 0, pods: pods.sort(), webhooks: [...webhooks], problems };
}

export function formatModules(modules: readonly DeployedModule[], statuses: readonly ModuleStatus[] = []): string {
  const rows = [
    ["UUID", "NAMESPACE", "READY", "PODS", "WEBHOOKS", "DESCRIPTION"],
    ...modules.map((m, index) => {
      const status = statuses[index];
      return [
        m.uuid,
        m.namespace || "-",
        status ? (status.ready ? "yes" : "no") : "?",
        status ? status.pods.join(", ") || "none" : m.roles.sort().join(","),
        status ? status.webhooks.join(",") || "none" : "?",
        m.description,
      ];
    }),
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
    .description(
      "list the modules deployed in the cluster, capstan's and Pepr's: whether each is ready (pods available, webhooks present)",
    )
    .argument("[uuid]", "show only this module")
    .addOption(kubeconfigOption())
    .addOption(contextOption())
    .action(async (uuid: string | undefined, flags: { kubeconfig?: string; context?: string }) => {
      const client = await connectWithFlags(flags);
      try {
        const modules = await deployedModules(client, uuid);
        if (modules.length === 0) {
          process.stderr.write(
            uuid ? `capstan: no module ${uuid} is deployed\n` : "capstan: no capstan module is deployed\n",
          );
          if (uuid) process.exitCode = 1;
          return;
        }
        const statuses = await Promise.all(modules.map((module) => moduleStatus(client, module)));
        process.stdout.write(`${formatModules(modules, statuses)}\n`);
        statuses.forEach((status, index) => {
          if (status.ready) return;
          const module = modules[index] as DeployedModule;
          process.stderr.write(
            `capstan: ${module.uuid} is not ready: ${status.problems.join("; ")} (capstan deploy reports why; capstan undeploy removes it)\n`,
          );
        });
      } finally {
        await client.close();
      }
    });
}
