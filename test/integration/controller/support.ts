import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Controller, type ControllerOptions } from "../../../src/controller/dispatch/controller.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ConflictError } from "../../../src/k8s/errors.ts";
import type { GroupVersionKind } from "../../../src/k8s/kinds.ts";
import type { Capability } from "../../../src/model/capability.ts";
import { Log } from "../../../src/telemetry/logger.ts";
import { eventually } from "../../support/cluster.ts";

export const quiet = Log.child({}, { level: "silent" });

/** A namespaced custom resource with a status subresource, shared by the controller tests. */
export const widget: GroupVersionKind = {
  group: "controller.capstan.dev",
  version: "v1",
  kind: "Widget",
  plural: "widgets",
  namespaced: true,
};

/** Creates the Widget CRD unless it exists, and waits until the API server serves it. */
export async function ensureWidgetCrd(client: ApiClient): Promise<void> {
  const name = `${widget.plural}.${widget.group}`;
  try {
    await client.request({
      method: "POST",
      path: "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
      body: {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name },
        spec: {
          group: widget.group,
          scope: "Namespaced",
          names: { kind: widget.kind, plural: widget.plural, singular: "widget", listKind: "WidgetList" },
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
            },
          ],
        },
      },
    });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
  await eventually(
    async () => {
      await client.request({ path: `/apis/${widget.group}/v1/widgets` });
      return true;
    },
    { what: "the Widget CRD to be served" },
  );
}

export function widgetPath(namespace: string, name?: string, subresource?: string): string {
  return `/apis/${widget.group}/v1/namespaces/${namespace}/widgets${name ? `/${name}` : ""}${subresource ? `/${subresource}` : ""}`;
}

export function createWidget(client: ApiClient, namespace: string, name: string, value = 0) {
  return client.request({
    method: "POST",
    path: widgetPath(namespace),
    body: { apiVersion: `${widget.group}/v1`, kind: widget.kind, metadata: { name }, spec: { value } },
  });
}

/** Starts a controller for one capability, waits for its caches and makes it active. */
export async function runController(
  client: ApiClient,
  capability: Capability,
  options: Partial<ControllerOptions> = {},
): Promise<Controller> {
  const controller = new Controller({ client, capabilities: [capability], logger: quiet, ...options });
  controller.start();
  await controller.waitForSync(AbortSignal.timeout(30_000));
  controller.activate();
  return controller;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Parsed JSON lines of a file several fixture processes append to; [] before the first line. */
export function readJsonLines<T>(file: string): T[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

/** Runs `fixtures/<script>` in a new Node process (the one running the tests), tracked in `children` by pid. */
export function spawnFixture(children: Map<number, ChildProcess>, script: string, args: readonly string[]): number {
  const child = spawn(process.execPath, [join(import.meta.dirname, "fixtures", script), ...args], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, LOG_LEVEL: "error" },
  });
  if (child.pid === undefined) throw new Error(`could not start ${script}`);
  children.set(child.pid, child);
  return child.pid;
}

export interface KillRounds {
  readonly rounds: number;
  /** Time between a takeover and the next kill (steady state). */
  readonly settleMs: number;
  readonly leaseDurationMs: number;
  readonly children: Map<number, ChildProcess>;
  readonly firstLeader: number;
  readonly spawnReplica: () => number;
  /** The first leadership that began after `after` in a process other than `victim`. */
  readonly leaderSince: (after: number, victim: number) => { pid: number; t: number } | undefined;
  readonly isReady: (pid: number) => boolean;
}

/** Kills the leader with SIGKILL `rounds` times, starting a replacement each time, and measures each takeover. */
export async function killLeaders(options: KillRounds) {
  const killedAt = new Map<number, number>();
  const takeovers: number[] = [];
  let leader = options.firstLeader;
  for (let round = 0; round < options.rounds; round++) {
    await sleep(options.settleMs);
    const victim = leader;
    options.children.get(victim)?.kill("SIGKILL");
    const killTime = Date.now();
    killedAt.set(victim, killTime);
    options.children.delete(victim);
    const replacement = options.spawnReplica();
    const next = await eventually(async () => options.leaderSince(killTime, victim), {
      timeoutMs: options.leaseDurationMs + 10_000,
      intervalMs: 50,
      what: `a new leader after killing ${victim}`,
    });
    takeovers.push(next.t - killTime);
    leader = next.pid;
    await eventually(async () => (options.isReady(replacement) ? true : undefined), {
      what: "the replacement replica",
    });
  }
  return { takeovers, killedAt, leader };
}
