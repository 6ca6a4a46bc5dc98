// The least any Node watcher does for the watch scenario: LIST the namespace's ConfigMaps for a
// resourceVersion, then one raw HTTPS watch from it; each line is split off, parsed, and reported
// on fd 3 the way the bench module reports its Watch callback. No cache, no queue, no reconnects:
// the stream ending is an error.
//   node bare-watch-process.ts <kubeconfig> <namespace>
import { writeSync } from "node:fs";
import { request } from "node:https";
import { loadConnection } from "../../src/k8s/connection.ts";
import { now } from "./engine-process.ts";

const [kubeconfig, namespace] = process.argv.slice(2);
if (!kubeconfig || !namespace) throw new Error("usage: bare-watch-process.ts <kubeconfig> <namespace>");
const eventsFd = Number(process.env.BENCH_EVENTS_FD ?? 3);
const connection = await loadConnection({ kubeconfig });
const base = `${connection.server}/api/v1/namespaces/${namespace}/configmaps`;
const options = {
  ca: connection.tls.ca,
  cert: connection.tls.cert,
  key: connection.tls.key,
  rejectUnauthorized: connection.tls.rejectUnauthorized,
  headers: await connection.headers(),
};

function report(event: string, name: string): void {
  writeSync(eventsFd, `BENCH ${JSON.stringify({ event, name, at: now() })}\n`);
}

function get(url: string, onResponse: (body: NodeJS.ReadableStream) => void): void {
  request(url, options, (response) => {
    if (response.statusCode !== 200) throw new Error(`GET ${url}: HTTP ${response.statusCode}`);
    onResponse(response);
  })
    .on("error", (error) => {
      throw error;
    })
    .end();
}

get(base, (list) => {
  let text = "";
  list.setEncoding("utf8");
  list.on("data", (chunk: string) => {
    text += chunk;
  });
  list.on("end", () => {
    const { metadata } = JSON.parse(text) as { metadata: { resourceVersion: string } };
    get(`${base}?watch=1&resourceVersion=${metadata.resourceVersion}`, (stream) => {
      report("ready", "watch");
      let buffered = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        buffered += chunk;
        let newline = buffered.indexOf("\n");
        while (newline >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          const event = JSON.parse(line) as { type: string; object: { metadata: { name: string } } };
          if (event.type === "ADDED") report("watch", event.object.metadata.name);
          newline = buffered.indexOf("\n");
        }
      });
      stream.on("end", () => {
        throw new Error("the watch ended");
      });
    });
  });
});
