// One benchmark target per process: `capstan`, `bare-allow` or `bare-patch`. Reads the TLS pair
// from CERT/KEY, listens on a free port on 127.0.0.1 and reports it over IPC. The bare servers
// answer any path; `bare-patch` answers /validate… with a plain allow.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import jsonPatch from "fast-json-patch";
import { AdmissionEngine } from "../../src/admission/engine.ts";
import { startAdmissionServer } from "../../src/admission/server.ts";
import * as a from "../../src/k8s/models.ts";
import { Capability } from "../../src/model/capability.ts";
import { PeprModule } from "../../src/model/module.ts";

const target = process.argv[2];
const tls = { cert: process.env.CERT as string, key: process.env.KEY as string };
export const API_PATH = "bench";

function readJson(req: IncomingMessage): Promise<{ request: { uid: string; object: Record<string, unknown> } }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
    req.on("error", reject);
  });
}

function reply(res: ServerResponse, response: Record<string, unknown>) {
  const body = JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response });
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

async function bare(patch: boolean): Promise<number> {
  const server = createServer(tls, async (req, res) => {
    const review = await readJson(req);
    // A validating webhook may not return a patch: registered as both, the server only patches on /mutate.
    if (!patch || req.url?.startsWith("/validate")) return reply(res, { uid: review.request.uid, allowed: true });
    const original = review.request.object as { metadata: { labels?: Record<string, string> } };
    const mutated = structuredClone(original);
    mutated.metadata.labels = { ...mutated.metadata.labels, bench: "yes" };
    const ops = jsonPatch.compare(original, mutated);
    reply(res, {
      uid: review.request.uid,
      allowed: true,
      patchType: "JSONPatch",
      patch: Buffer.from(JSON.stringify(ops)).toString("base64"),
    });
  });
  server.keepAliveTimeout = 100_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function capstan(): Promise<number> {
  const cap = new Capability({ name: "bench", description: "one Mutate and one Validate binding" });
  cap
    .When(a.Pod)
    .IsCreated()
    .Mutate((req) => {
      req.SetLabel("bench", "yes");
    })
    .Validate((req) => (req.Raw.spec?.containers?.length ? req.Approve() : req.Deny("no containers")));
  const module = new PeprModule({ pepr: { uuid: "bench", onError: "reject" } }, [cap], { deferStart: true });
  const server = await startAdmissionServer({
    engine: new AdmissionEngine(module),
    tls,
    apiPath: API_PATH,
    port: 0,
    host: "127.0.0.1",
  });
  return server.port;
}

const port = target === "capstan" ? await capstan() : await bare(target === "bare-patch");
process.send?.({ port });
// The run asks for this process's CPU time around each load, to report CPU per request.
process.on("message", (message) => {
  if (message === "cpu") process.send?.({ cpu: process.cpuUsage() });
});
process.on("SIGTERM", () => process.exit(0));
