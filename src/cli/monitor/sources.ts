import { closeSync, existsSync, openSync, statSync, watch } from "node:fs";
import { sharedInformer } from "../../informer/index.ts";
import type { ApiClient } from "../../k8s/index.ts";
import { jsonLines, kindOf, Pod } from "../../k8s/index.ts";
import { LineReader } from "../../runtime/index.ts";

export type LineSink = (line: string, source: string) => void;

/**
 * Follows a file a `capstan dev` session appends its module's log to, from its current end (or its
 * start), until the signal aborts. Returns when the signal aborts.
 */
export async function followFile(
  file: string,
  sink: LineSink,
  signal: AbortSignal,
  options: { readonly fromStart?: boolean } = {},
): Promise<void> {
  if (!existsSync(file)) throw new Error(`${file} does not exist: start \`capstan dev\` in this folder first`);
  let offset = options.fromStart ? 0 : statSync(file).size;
  let lines = new LineReader();
  // Synchronous reads: each call takes everything appended so far, so the last one before returning misses nothing.
  const readNew = () => {
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      return; // removed with its session
    }
    if (size < offset) {
      // a new session started the file again
      offset = 0;
      lines = new LineReader();
    }
    if (size === offset) return;
    const fd = openSync(file, "r");
    try {
      offset = lines.readFrom(fd, offset, (line) => {
        if (line.trim()) sink(line, "dev");
      });
    } finally {
      closeSync(fd);
    }
  };
  const watcher = watch(file, () => readNew());
  watcher.on("error", () => {}); // the file went away: the poll below finds nothing more
  // fs.watch can miss appends (some file systems, heavy load): look every second as well.
  const poll = setInterval(readNew, 1_000);
  readNew();
  await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  clearInterval(poll);
  watcher.close();
  readNew();
}

export interface FollowPodsOptions {
  readonly namespace: string;
  readonly uuid: string;
  /** `capstan.dev/uuid`, or `pepr.dev/uuid`. */
  readonly uuidLabel: string;
  /** What the user should know about the following itself (nothing deployed, a failing watch), one line each. */
  readonly status: (line: string) => void;
  /** Said once when the watch has listed and no Pod of the module runs. */
  readonly nothingRunsHint: () => Promise<string>;
  /** How often the watch's health is looked at. Default 1 s. */
  readonly checkEveryMs?: number;
}

/**
 * Follows the logs of every running Pod of the module (label `capstan.dev/uuid`, or `pepr.dev/uuid`),
 * as Pods come and go. Says when none runs, when watching the Pods fails (with the server's reason)
 * and when it works again.
 */
export async function followPods(
  client: ApiClient,
  sink: LineSink,
  signal: AbortSignal,
  options: FollowPodsOptions,
): Promise<void> {
  const { namespace, uuid, uuidLabel, status } = options;
  const followed = new Set<string>();
  const informer = sharedInformer<{ metadata?: { name?: string }; status?: { phase?: string } }>(client, {
    kind: kindOf(Pod),
    namespace,
    labelSelector: `${uuidLabel}=${uuid}`,
  });
  const follow = async (name: string) => {
    followed.add(name);
    try {
      const { body } = await client.stream({
        path: `/api/v1/namespaces/${namespace}/pods/${name}/log`,
        query: { follow: true, sinceSeconds: 10 },
        accept: "text/plain",
        signal,
      });
      for await (const line of jsonLines(body)) sink(line, name);
    } catch (error) {
      if (!signal.aborted)
        status(`stopped following the log of ${name}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      followed.delete(name);
    }
  };
  const unsubscribe = informer.subscribe(({ type, object }) => {
    const name = object.metadata?.name;
    if (type !== "DELETED" && name && object.status?.phase === "Running" && !followed.has(name)) void follow(name);
  });
  informer.start();
  let failing: string | undefined;
  let watchingChecks = 0;
  let hinted = false;
  const check = async () => {
    const health = informer.health();
    // The informer clears its error only at the next event, which a quiet namespace may not send for
    // a minute: a watch that stays open across two checks counts as working again.
    watchingChecks = health.state === "watching" ? watchingChecks + 1 : 0;
    if (health.consecutiveFailures > 0 && health.lastError && health.lastError !== failing && watchingChecks < 2) {
      failing = health.lastError;
      status(`watching Pods in ${namespace} failed: ${health.lastError}; retrying`);
    } else if (failing && watchingChecks >= 2) {
      failing = undefined;
      status(`watching Pods in ${namespace} again`);
    }
    const running = informer.list(namespace).filter((pod) => pod.status?.phase === "Running").length;
    if (!hinted && health.synced && running === 0) {
      hinted = true;
      status(await options.nothingRunsHint());
    }
  };
  const timer = setInterval(() => void check().catch(() => {}), options.checkEveryMs ?? 1_000);
  await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  clearInterval(timer);
  unsubscribe();
  await informer.stop();
}
