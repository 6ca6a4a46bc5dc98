import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { inClusterConnection, loadConnection } from "../../../src/k8s/connection.ts";

let dir: string;
const savedEnv = { ...process.env };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "capstan-kubeconfig-"));
});
afterEach(() => {
  process.env = { ...savedEnv };
});

function kubeconfig(file: string, config: object): string {
  const path = join(dir, file);
  writeFileSync(path, stringify(config));
  return path;
}

const cfg = (server: string, user: object, name = "main") => ({
  apiVersion: "v1",
  kind: "Config",
  "current-context": name,
  clusters: [{ name, cluster: { server: `${server}/`, "certificate-authority": "ca.pem" } }],
  users: [{ name, user }],
  contexts: [{ name, context: { cluster: name, user: name } }],
});

describe("loadConnection", () => {
  it("reads files relative to the kubeconfig and inline base64 data", async () => {
    writeFileSync(join(dir, "ca.pem"), "CA-PEM");
    const file = kubeconfig(
      "config",
      cfg("https://10.1.2.3:6443", {
        "client-certificate-data": Buffer.from("CERT").toString("base64"),
        "client-key": "key.pem",
      }),
    );
    writeFileSync(join(dir, "key.pem"), "KEY-PEM");
    const connection = await loadConnection({ kubeconfig: file });
    expect(connection.server).toBe("https://10.1.2.3:6443");
    expect(String(connection.tls.ca)).toBe("CA-PEM");
    expect(String(connection.tls.cert)).toBe("CERT");
    expect(String(connection.tls.key)).toBe("KEY-PEM");
    expect(connection.tls.rejectUnauthorized).toBe(true);
    expect(await connection.headers()).toEqual({});
  });

  it("sends bearer tokens, from the kubeconfig or a token file", async () => {
    writeFileSync(join(dir, "ca.pem"), "CA");
    writeFileSync(join(dir, "token"), "file-token\n");
    const inline = await loadConnection({ kubeconfig: kubeconfig("a", cfg("https://a", { token: "abc" })) });
    expect(await inline.headers()).toEqual({ authorization: "Bearer abc" });
    const fromFile = await loadConnection({ kubeconfig: kubeconfig("b", cfg("https://b", { tokenFile: "token" })) });
    expect(await fromFile.headers()).toEqual({ authorization: "Bearer file-token" });
  });

  it("merges a KUBECONFIG list with the first definition of a name winning", async () => {
    writeFileSync(join(dir, "ca.pem"), "CA");
    const first = kubeconfig("first", cfg("https://first", { token: "1" }));
    const second = kubeconfig("second", { ...cfg("https://second", { token: "2" }), "current-context": "other" });
    process.env.KUBECONFIG = `${first}:${second}`;
    const connection = await loadConnection();
    expect(connection.server).toBe("https://first");
  });

  it("names what is missing", async () => {
    await expect(loadConnection({ kubeconfig: join(dir, "nope") })).rejects.toThrow(/does not exist/);
    const file = kubeconfig("c", { ...cfg("https://c", {}), "current-context": "ghost" });
    await expect(loadConnection({ kubeconfig: file })).rejects.toThrow(/context "ghost" is not defined/);
    process.env.KUBECONFIG = join(dir, "missing");
    delete process.env.KUBERNETES_SERVICE_HOST;
    await expect(loadConnection()).rejects.toThrow(
      `no kubeconfig: ${join(dir, "missing")} does not exist: point KUBECONFIG at an existing file`,
    );
  });

  it("uses the pod's service account in a cluster", async () => {
    writeFileSync(join(dir, "ca.crt"), "SA-CA");
    writeFileSync(join(dir, "token"), "sa-token");
    process.env.KUBERNETES_SERVICE_HOST = "10.0.0.1";
    process.env.KUBERNETES_SERVICE_PORT = "443";
    const connection = inClusterConnection(dir);
    expect(connection.server).toBe("https://10.0.0.1:443");
    expect(await connection.headers()).toEqual({ authorization: "Bearer sa-token" });
  });
});
