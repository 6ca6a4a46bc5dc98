// The RunningEngine every engine returns: an EngineProcess plus where its webhooks are, a readiness
// probe (the health URL answers, the webhook configurations exist) and clean-up on stop.
import { request } from "node:https";
import type { ApiClient } from "../../src/k8s/api-client.ts";
import { NotFoundError } from "../../src/k8s/errors.ts";
import type { RunningEngine } from "./engine.ts";
import { EngineProcess, type EngineProcessOptions } from "./engine-process.ts";

export interface RunningEngineOptions extends EngineProcessOptions {
  readonly mutateUrl: string;
  readonly validateUrl: string;
  readonly healthUrl: string;
  readonly caCert: string;
  readonly client: ApiClient;
  /** Webhook configuration names (mutating, else validating) that must exist before the engine counts as ready. */
  readonly webhookConfigurations: readonly string[];
  readonly cleanup: () => Promise<void>;
  /** The port the server really listens on, when it picks its own: the URLs' port is replaced by it. */
  readonly servedPort?: Promise<number>;
}

export function runningEngine(options: RunningEngineOptions): RunningEngine {
  const child = new EngineProcess(options);
  let port: number | undefined;
  const at = (url: string) => (port === undefined ? url : url.replace(/:\d+\//, `:${port}/`));
  // Scenarios that poll before ready() (start-up) must see the reported port as soon as it is known.
  void options.servedPort?.then((reported) => {
    port = reported;
  });
  return {
    pid: child.pid,
    spawnedAt: child.spawnedAt,
    get mutateUrl() {
      return at(options.mutateUrl);
    },
    get validateUrl() {
      return at(options.validateUrl);
    },
    get healthUrl() {
      return at(options.healthUrl);
    },
    caCert: options.caCert,
    waitFor: (event, name, timeoutMs) => child.waitFor(event, name, timeoutMs),
    onEvent: (listener) => child.onEvent(listener),
    usage: () => child.usage(),
    async ready(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      if (options.servedPort) {
        port = await child.until<number>(
          (resolve) => {
            void options.servedPort?.then(resolve);
            return () => {};
          },
          "report of its port",
          timeoutMs,
        );
      }
      while (!(await answers(at(options.healthUrl), options.caCert))) {
        if (!child.running) throw new Error(`${options.label} exited before serving:\n${child.logTail()}`);
        if (Date.now() > deadline) throw new Error(`${options.label} did not serve within ${timeoutMs} ms`);
        await sleep(20);
      }
      for (const name of options.webhookConfigurations) {
        while (!(await exists(options.client, name))) {
          if (Date.now() > deadline) throw new Error(`${options.label}: webhook configuration ${name} never appeared`);
          await sleep(50);
        }
      }
    },
    async stop() {
      await child.stop();
      await options.cleanup();
      await options.client.close();
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The status an HTTPS request to `url` gets, or undefined when nothing answers (yet). */
export function httpsStatus(
  url: string,
  ca: string,
  method: "GET" | "POST",
  body?: string,
): Promise<number | undefined> {
  return new Promise((resolve) => {
    const headers = body === undefined ? {} : { "content-type": "application/json" };
    const req = request(url, { ca, method, headers, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on("error", () => resolve(undefined));
    req.on("timeout", () => req.destroy());
    req.end(body);
  });
}

/** Whether an HTTPS GET of `url` answers 2xx. */
async function answers(url: string, ca: string): Promise<boolean> {
  return ((await httpsStatus(url, ca, "GET")) ?? 500) < 300;
}

/** Whether the mutating or (for a module with no Mutate binding) the validating configuration exists. */
async function exists(client: ApiClient, name: string): Promise<boolean> {
  for (const kind of ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"]) {
    try {
      await client.request({ method: "GET", path: `/apis/admissionregistration.k8s.io/v1/${kind}/${name}` });
      return true;
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  return false;
}
