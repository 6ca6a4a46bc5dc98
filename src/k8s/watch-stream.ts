import type { Readable } from "node:stream";
import type { ApiClient, ApiRequest } from "./api-client.ts";
import type { ApiStatus } from "./errors.ts";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface WatchEvent<T = unknown> {
  readonly type: WatchEventType;
  /** The object; for ERROR events the server's `Status`. */
  readonly object: T;
}

/**
 * Opens a watch (`?watch=1`) and yields its events in order. The iterator ends when the server
 * closes the stream; an ERROR event (for example 410 Expired) is yielded for the caller to act on.
 * `onOpen` runs once the server has accepted the watch (response headers in), before any event.
 */
export async function* watchEvents<T>(
  client: ApiClient,
  request: Omit<ApiRequest, "method" | "body">,
  onOpen?: () => void,
): AsyncGenerator<WatchEvent<T | ApiStatus>> {
  const { body } = await client.stream({ ...request, query: { ...request.query, watch: 1 } });
  onOpen?.();
  try {
    for await (const line of jsonLines(body)) yield JSON.parse(line) as WatchEvent<T | ApiStatus>;
  } finally {
    body.destroy();
  }
}

/** Splits a byte stream into non-empty lines without holding more than one partial line. */
export async function* jsonLines(stream: Readable): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += typeof chunk === "string" ? chunk : decoder.decode(chunk as Uint8Array, { stream: true });
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) yield line;
      newline = pending.indexOf("\n");
    }
  }
  if (pending.trim()) yield pending.trim();
}
