import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { Command } from "commander";
import { moduleConfigOf } from "../../build/index.ts";
import type { ApiClient } from "../../k8s/index.ts";
import { type FlavorNames, type ModuleConfig, moduleNamespace, namesOf } from "../../model/index.ts";
import { devLogFile } from "../../runtime/dev-session.ts";
import { checkReachable, connectWithFlags, type KubeconfigFlags, withKubeconfigFlags } from "../kubeconfig-flags.ts";
import { formatMonitorLine } from "../monitor/format.ts";
import { followPolicyDecisions, modulePolicyCount } from "../monitor/policies.ts";
import { recordingOffHint, ScenarioRecorder } from "../monitor/record.ts";
import { followRingOfModule } from "../monitor/ring-source.ts";
import { followFile, followPods } from "../monitor/sources.ts";
import { deployedModules } from "./uuid.ts";

interface MonitorOptions extends KubeconfigFlags {
  namespace?: string;
  dev?: boolean;
  record?: string;
  ring?: boolean;
  metricsUrl?: string[];
}

/** The module config in ./package.json: required without a uuid argument, else only its flavor and namespace are read. */
function localConfig(required: boolean): ModuleConfig | undefined {
  try {
    return moduleConfigOf(process.cwd());
  } catch (error) {
    if (required) throw error;
    return undefined;
  }
}

/**
 * Beside the log: the decisions the API server makes with the module's CEL policies, when it has
 * any there (ValidateCEL/MutateCEL), read from the API server's own counters.
 */
async function followPolicies(
  client: ApiClient,
  uuid: string,
  names: FlavorNames,
  say: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  let policies: number;
  try {
    policies = await modulePolicyCount(client, `${names.uuidLabel}=${uuid}`);
  } catch (error) {
    say(`CEL policy decisions not shown: listing the module's admission policies failed: ${errorText(error)}`);
    return;
  }
  if (policies === 0) return;
  const line = (text: string) => process.stdout.write(`${text}\n`);
  await followPolicyDecisions(client, `${names.objectPrefix(uuid)}-`, { line, say }, signal);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What to tell the user when no Pod of the module runs where monitor looks. */
async function nothingRunsHint(
  client: ApiClient,
  uuid: string,
  namespace: string,
  names: FlavorNames,
): Promise<string> {
  const waiting = `waiting for Pods labelled ${names.uuidLabel}=${uuid} in ${namespace}`;
  const deployed = await deployedModules(client, uuid).catch(() => undefined);
  const elsewhere = deployed?.filter((module) => module.namespace !== namespace).map((module) => module.namespace);
  if (deployed?.some((module) => module.namespace === namespace))
    return `module ${uuid} is deployed in ${namespace} but none of its Pods runs yet (\`kubectl get pods -n ${namespace} -l ${names.uuidLabel}=${uuid}\` says why); ${waiting}`;
  if (elsewhere?.length)
    return `module ${uuid} is not deployed in ${namespace} but in ${elsewhere.join(", ")}: pass -n ${elsewhere[0]}; ${waiting}`;
  return `module ${uuid} is not deployed: deploy it with \`capstan build\` and \`capstan deploy\`, or run \`capstan dev\` and follow it with \`capstan monitor --dev\`; ${waiting}`;
}

export function monitorCommand(): Command {
  const command = new Command("monitor")
    .description("a live stream of admission decisions and controller actions, from the deployed pods or `capstan dev`")
    .argument("[uuid]", "the module (default: the uuid in ./package.json)")
    .option(
      "-n, --namespace <name>",
      "namespace the module is deployed in (default: ./package.json's, else pepr-system for a `pepr` block, capstan-system for `capstan`)",
    )
    .option("--dev", "follow the `capstan dev` session running in this folder instead of deployed pods")
    .option(
      "--ring",
      "show the shard ring of a sharded controller instead of the log: members, objects per shard, moves",
    )
    .option(
      "--metrics-url <url...>",
      "with --ring: read these /metrics URLs (controller replicas run as host processes) instead of the Pods'",
    )
    .option(
      "--record <file>",
      "write the admission requests and decisions seen as a *.scenarios.yaml that `capstan test` replays (needs a module that logs them: `capstan dev --record`, or CAPSTAN_RECORD_ADMISSION=true in its env)",
    );
  return withKubeconfigFlags(command).action(async (uuid: string | undefined, opts: MonitorOptions) => {
    const say = (line: string) => process.stderr.write(`capstan monitor: ${line}\n`);
    const abort = new AbortController();
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => abort.abort());
    const recorder = opts.record ? new ScenarioRecorder(resolve(opts.record), say) : undefined;
    let decisions = 0;
    let hintedRecording = false;
    const print = (line: string, source: string) => {
      if (recorder?.take(line)) return;
      const text = formatMonitorLine(line, source);
      if (!text) return;
      process.stdout.write(`${text}\n`);
      // A record follows its decision line at once: a second decision with no record seen means none come.
      if (recorder && line.includes('"admission decision"') && ++decisions >= 2 && recorder.seen === 0) {
        if (!hintedRecording) say(recordingOffHint(opts.dev ? "dev" : "pods"));
        hintedRecording = true;
      }
    };
    if (opts.ring) {
      const local = localConfig(uuid === undefined);
      if (local?.flavor === "pepr") {
        throw new Error(
          "--ring: this module runs in Pepr compatibility mode (a `pepr` block in package.json), whose controller is not sharded; sharding is the capstan setting controller.shards (docs/scaling.md)",
        );
      }
      const module = uuid ?? (local?.uuid as string);
      const namespace =
        opts.namespace ?? (local ? moduleNamespace(local) : namesOf({ flavor: "capstan" }).defaultNamespace);
      const client = await connectWithFlags(opts);
      try {
        await checkReachable(client);
        say(`showing the shard ring of ${module} in ${namespace}; Ctrl-C stops`);
        await followRingOfModule(client, { module, namespace, metricsUrls: opts.metricsUrl }, say, abort.signal);
      } finally {
        await client.close();
      }
      return;
    }
    if (opts.dev) {
      const file = devLogFile(process.cwd());
      if (existsSync(file)) say(`following the capstan dev session's log ${file}; Ctrl-C stops`);
      const local = localConfig(false);
      const client = local
        ? await connectWithFlags(opts).catch((error: unknown) => {
            say(`CEL policy decisions not shown: ${errorText(error)}`);
            return undefined;
          })
        : undefined;
      try {
        const policies =
          client && local ? followPolicies(client, local.uuid, namesOf(local), say, abort.signal) : undefined;
        await followFile(file, print, abort.signal);
        await policies;
      } finally {
        await client?.close();
      }
    } else {
      const local = localConfig(uuid === undefined);
      const module = uuid ?? (local?.uuid as string);
      const names = namesOf(local ?? { flavor: "capstan" });
      const namespace = opts.namespace ?? (local ? moduleNamespace(local) : names.defaultNamespace);
      const client = await connectWithFlags(opts);
      try {
        await checkReachable(client);
        say(`following Pods of ${names.objectPrefix(module)} in ${namespace}; Ctrl-C stops`);
        const policies = followPolicies(client, module, names, say, abort.signal);
        await followPods(client, print, abort.signal, {
          namespace,
          uuid: module,
          uuidLabel: names.uuidLabel,
          status: say,
          nothingRunsHint: () => nothingRunsHint(client, module, namespace, names),
        });
        await policies;
      } finally {
        await client.close();
      }
    }
    if (recorder) say(recorder.summary());
  });
}
