import type { ApiClient } from "../k8s/api-client.ts";
import type { ApiStatus } from "../k8s/errors.ts";
import type { KubernetesObject } from "../k8s/kinds.ts";
import { type WatchEvent, watchEvents } from "../k8s/watch-stream.ts";

/** The watch delivered nothing, not even a bookmark, for longer than the idle timeout: the connection is presumed dead. */
export class IdleTimeoutError extends Error {
  constructor(idleTimeoutMs: number) {
    super(`the watch sent nothing for ${idleTimeoutMs / 1000} s; reconnecting`);
    this.name = "IdleTimeoutError";
  }
}

/**
 * `watchEvents` with a client-side idle timeout covering both the wait for the response headers and
 * every gap between events (not counting time the caller spends on an event), so a half-open connection (no data, no RST) ends in an IdleTimeoutError.
 */
export async function* idleWatch(
  client: ApiClient,
  request: { path: string; query: Record<string, string | number | boolean | undefined> },
  options: { idleTimeoutMs: number; signal: AbortSignal },
): AsyncGenerator<WatchEvent<KubernetesObject | ApiStatus>> {
  const idle = new AbortController();
  const timeout = new IdleTimeoutError(options.idleTimeoutMs);
  // While the caller holds an event (handlers behind), silence is ours, not the connection's.
  let paused = false;
  const timer = setTimeout(() => (paused ? timer.refresh() : idle.abort(timeout)), options.idleTimeoutMs);
  try {
    const events = watchEvents<KubernetesObject>(client, {
      ...request,
      signal: AbortSignal.any([options.signal, idle.signal]),
    });
    for await (const event of events) {
      paused = true;
      yield event;
      paused = false;
      timer.refresh();
    }
  } catch (error) {
    if (idle.signal.aborted && !options.signal.aborted) throw timeout;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
