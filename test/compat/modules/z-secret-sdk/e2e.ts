import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

const ns = "z-secret-sdk";
const b64 = (text: string) => Buffer.from(text).toString("base64");
const unb64 = (text: string) => Buffer.from(text, "base64").toString();

interface Obj {
  metadata: { annotations?: Record<string, string> };
  data?: Record<string, string>;
}

export default {
  description:
    "Mutate sees a Secret's data decoded (binary values left encoded) and writes it encoded; sdk.containers, PeprUtils, R",
  async run(t) {
    await t.apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`);
    await t.waitFor(`serviceaccount default in ${ns}`, async () =>
      (await t.kubectlRun(["get", "serviceaccount", "default", "-n", ns])).code === 0 ? true : undefined,
    );
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x81]).toString("base64");
    await t.apply(`apiVersion: v1
kind: Secret
metadata:
  name: secret-1
  namespace: ${ns}
data:
  example: ${b64("dW5pY29ybiBtYWdpYw")}
  binary-data: ${binary}
`);
    const secret = JSON.parse(await t.kubectl("get", "secret", "secret-1", "-n", ns, "-o", "json")) as Obj;
    expect(unb64(secret.data?.magic ?? "")).toBe("change-without-encoding");
    expect(unb64(secret.data?.example ?? "")).toBe("dW5pY29ybiBtYWdpYw - modified by Pepr");
    expect(secret.data?.["binary-data"]).toBe(binary);
    expect(secret.metadata.annotations?.["decoded-keys"]).toBe("example,magic");
    expect(secret.metadata.annotations?.["z-secret-sdk.pepr.dev/z-secret-sdk"]).toBe("succeeded");

    await t.apply(`apiVersion: v1
kind: Pod
metadata:
  name: pod-1
  namespace: ${ns}
spec:
  initContainers:
    - name: init
      image: busybox
  containers:
    - name: web
      image: nginx
    - name: sidecar
      image: busybox
`);
    const pod = JSON.parse(await t.kubectl("get", "pod", "pod-1", "-n", ns, "-o", "json")) as Obj;
    expect(pod.metadata.annotations?.["all-containers"]).toBe("web,sidecar,init");
    expect(pod.metadata.annotations?.["regular-containers"]).toBe("web,sidecar");
    expect(unb64(pod.metadata.annotations?.encoded ?? "")).toBe("web,sidecar,init");
    expect(pod.metadata.annotations?.["round-trip"]).toBe("pepr");
    await t.kubectl("delete", "namespace", ns, "--wait=false");
  },
} satisfies CompatTest;
