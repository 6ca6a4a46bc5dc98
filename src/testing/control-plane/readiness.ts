import { request } from "node:https";
import { isAlive, type ManagedProcess, sleep, tailLog } from "./processes.ts";

export interface ClientTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Polls `check` until it passes; fails early, with the tail of the log, if the process exits. */
export async function waitFor(proc: ManagedProcess, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.hasExited() || !isAlive(proc.pid)) {
      const code = await Promise.race([proc.exited, sleep(100).then(() => "unknown")]);
      const inUse = /address already in use/i.test(tailLog(proc.logFile, 50));
      throw new Error(
        `${proc.name} exited early (${code})${inUse ? ": a port it was given is taken; run the command again" : ""}. ` +
          `Last lines of ${proc.logFile}:\n${tailLog(proc.logFile)}`,
      );
    }
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(
    `${proc.name} was not ready after ${timeoutMs / 1000} s. Last lines of ${proc.logFile}:\n${tailLog(proc.logFile)}`,
  );
}

/** The HTTP status of a GET, over TLS with the given client certificate for https URLs. */
export function httpStatus(url: string, tls?: ClientTls): Promise<number> {
  if (url.startsWith("http:")) return fetch(url).then((r) => r.status);
  return new Promise((resolve, reject) => {
    const req = request(url, { ...tls, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once("timeout", () => req.destroy(new Error("timed out")));
    req.once("error", reject);
    req.end();
  });
}
