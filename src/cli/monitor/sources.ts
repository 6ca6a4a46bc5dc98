import { createReadStream, existsSync, statSync, watch } from "node:fs";
import { sharedInformer } from "../../informer/index.ts";
import type { ApiClient } from "../../k8s/api-client.ts";
import { kindOf } from "../../k8s/kinds.ts";
import { Pod } from "../../k8s/models.ts";
import { jsonLines } from "../../k8s/watch-stream.ts";

export type LineSink = (line: string, source: string) => void;

/**
 * Follows a file a `capstan dev` session appends its module's log to, from its current end, until
 * the signal aborts. Returns when the signal aborts.
 */
export async function followFile(file: string, sink: LineSink, signal: AbortSignal): Promise<void> {
  if (!existsSync(file)) throw new Error(`${file} does not exist: start \`capstan dev\` in this folder first`);
  let offset = statSync(file).size;
  let pending = "";
  let reading = false;
  const readNew = () => {
    if (reading) return;
    const size = statSync(file).size;
    if (size < offset) offset = 0; // a new dev session truncated the file
    if (size === offset) return;
    reading = true;
    const stream = createReadStream(file, { start: offset, end: size - 1, encoding: "utf8" });
    stream.on("data", (chunk) => {
      pending += chunk;
    });
    stream.on("close", () => {
      offset = size;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) sink(line, "dev");
      reading = false;
      readNew();
    });
  };
  const watcher = watch(file, readNew);
  await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  watcher.close();
}

/** Follows the logs of every running Pod of the module (label `capstan.dev/uuid`, or `pepr.dev/uuid`), as Pods come and go. */
export async function followPods(
  client: ApiClient,
  namespace: string,
  uuid: string,
  sink: LineSink,
  signal: AbortSignal,
  uuidLabel = "capstan.dev/uuid",
): Promise<void> {
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
      if (!signal.aborted) sink(JSON.stringify({ msg: `stopped following ${name}: ${String(error)}` }), name);
    } finally {
      followed.delete(name);
    }
  };
  const unsubscribe = informer.subscribe(({ type, object }) => {
    const name = object.metadata?.name;
    if (type !== "DELETED" && name && object.status?.phase === "Running" && !followed.has(name)) void follow(name);
  });
  informer.start();
  await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  unsubscribe();
  await informer.stop();
}
