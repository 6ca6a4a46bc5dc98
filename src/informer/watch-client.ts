import type { ApiClient } from "../k8s/index.ts";

const derived = new WeakMap<ApiClient, ApiClient>();

/**
 * The client informers list and watch with: same server and credentials, HTTP/1.1 and no practical
 * connection limit. Each watch then owns its TCP connection, so aborting a silent watch drops that
 * connection; over HTTP/2 every informer would share one session, and a half-open session would
 * stall every new LIST and WATCH until a PING times out. One per client, closed with it.
 */
export function watchClientFor(client: ApiClient): ApiClient {
  let watchClient = derived.get(client);
  if (!watchClient) {
    watchClient = client.derive({ http2: false, connections: 4096 });
    derived.set(client, watchClient);
  }
  return watchClient;
}
