import { execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifests } from "../../../src/build/deploy/apply.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { containerOf, literalEnv, projectedChunkFiles } from "../../../src/build/pod-spec.ts";
import { findManifest } from "../../../src/cli/commands/deploy.ts";
import { resourceNames } from "../../../src/contract/resource-names.ts";
import { RuntimeEnv } from "../../../src/contract/runtime-contract.ts";
import { freePort } from "../../../src/testing/control-plane/ports.ts";
import {
  capstanInstalled,
  editPackageJson,
  removeScratchModule,
  type ScratchModule,
  scratchModule,
} from "../build/module-fixture.ts";
import {
  expectAdmission,
  expectControllerLeader,
  expectWatchWritesStore,
  installModule,
  type Pod,
  routeWebhooksToPod,
} from "../runtime/deployed-pods.ts";

// "Pods without a kubelet", run from the image: `capstan image build` writes an OCI layout, umoci
// unpacks it, and each generated Deployment's container runs as the image's user in a chroot of
// that root filesystem (mounted read-only), in mount and PID namespaces of its own, with the chunk
// Secrets, the module emptyDir, /tmp and the service-account token mounted where a kubelet puts them.
// Nothing of the host's Node or node_modules is used.

const watchedNamespace = "hello-capstan";
const storeWatch = `
import { a } from "capstan";
import { readFileSync } from "node:fs";
import { HelloCapstan } from "./hello-capstan.ts";

HelloCapstan.When(a.ConfigMap).IsCreated().InNamespace("${watchedNamespace}").WithLabel("remember-me")
  .Watch(async (cm) => {
    // An includedFile, read where the image puts it (/app/<path>; the working directory is /app).
    const asset = readFileSync("assets/greeting.txt", "utf8").trim();
    await HelloCapstan.Store.setItemAndWait(\`seen-\${cm.metadata?.name}\`, asset);
  });
`;

interface ZarfYaml {
  kind: string;
  components: { images: string[]; manifests?: { files: string[] }[]; charts?: { localPath: string }[] }[];
}

interface OciIndex {
  manifests: { digest: string; mediaType: string; annotations?: Record<string, string>; artifactType?: string }[];
}
interface OciManifest {
  config: { digest: string };
  layers: { digest: string; size: number; annotations?: Record<string, string> }[];
}

const pods: Pod[] = [];
let module: ScratchModule | undefined;

function blob<T>(layout: string, digest: string): T {
  return JSON.parse(readFileSync(join(layout, "blobs", "sha256", digest.slice(7)), "utf8")) as T;
}

function imageOf(layout: string): { digest: string; manifest: OciManifest; index: OciIndex } {
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as OciIndex;
  const image = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === TAG.split(":")[1]);
  if (!image) throw new Error(`${layout}/index.json names no image`);
  return { digest: image.digest, manifest: blob<OciManifest>(layout, image.digest), index };
}

function imageBuild(moduleDir: string, layout: string): string {
  return capstanInstalled(moduleDir, ["image", "build", "--no-typecheck", "--tag", TAG, "--output", layout]).trim();
}

const TAG = "capstan-image-pods:0.0.1";

afterAll(async () => {
  // The whole process group: the container's process changes its uid, which clears the parent-death
  // signal unshare --kill-child relies on, so killing unshare alone would leave it running.
  for (const pod of pods) {
    try {
      if (pod.process.pid) process.kill(-pod.process.pid, "SIGKILL");
    } catch {}
  }
  if (module) {
    const name = resourceNames(module.uuid, "capstan").webhookConfiguration;
    for (const kind of ["mutating", "validating"]) {
      await module.client
        .request({
          method: "DELETE",
          path: `/apis/admissionregistration.k8s.io/v1/${kind}webhookconfigurations/${name}`,
        })
        .catch(() => {});
    }
  }
  await removeScratchModule(module);
});

describe("the module's image", () => {
  it("is reproducible, and a capability change changes only the module layer", { timeout: 600_000 }, async () => {
    module = await scratchModule("imgpods", {
      buildArgs: ["--no-typecheck", "--no-image-check", "--zarf", "manifest"],
      beforeBuild: (dir) => {
        writeFileSync(join(dir, "capabilities", "remember.ts"), storeWatch);
        const entry = join(dir, "capstan.ts");
        writeFileSync(entry, `import "./capabilities/remember.ts";\n${readFileSync(entry, "utf8")}`);
        mkdirSync(join(dir, "assets"));
        writeFileSync(join(dir, "assets", "greeting.txt"), "from-the-image\n");
        editPackageJson(dir, (pkg) => {
          (pkg.capstan as Record<string, unknown>).includedFiles = ["assets/greeting.txt"];
        });
      },
    });
    const { moduleDir, work } = module;
    // The scratch build ran with --zarf manifest: zarf.yaml names the static manifests and the image.
    const manifestZarf = parse(readFileSync(join(moduleDir, "dist", "zarf.yaml"), "utf8")) as ZarfYaml;
    expect(manifestZarf.kind).toBe("ZarfPackageConfig");
    for (const file of manifestZarf.components[0]?.manifests?.[0]?.files ?? ["-"]) {
      expect(existsSync(join(moduleDir, "dist", file)), file).toBe(true);
    }
    expect(manifestZarf.components[0]?.images).toHaveLength(1);
    const first = imageBuild(moduleDir, join(work, "layout-1"));
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(imageOf(join(work, "layout-1")).digest).toBe(first);

    // The Deployments of the build that wrote the image use it.
    const objects = parseManifests(readFileSync(findManifest(join(moduleDir, "dist")), "utf8"));
    for (const deployment of objects.filter((o) => o.kind === "Deployment")) {
      expect((containerOf(deployment) as { image?: string }).image).toBe(TAG);
    }

    // One capability changed: only the last (module) layer differs.
    const capability = join(moduleDir, "capabilities", "remember.ts");
    const original = readFileSync(capability, "utf8");
    writeFileSync(capability, original.replace("remember-me", "remember-me-too"));
    const changed = imageBuild(moduleDir, join(work, "layout-3"));
    writeFileSync(capability, original);
    // Back to the original, built by `capstan build --build-image`: the same digest again (and dist/
    // holds the original module's manifests), with a zarf.yaml for the chart.
    capstanInstalled(moduleDir, [
      "build",
      "--no-typecheck",
      "--no-image-check",
      "--build-image",
      "--image",
      TAG,
      "--zarf",
      "chart",
    ]);
    expect(imageOf(join(moduleDir, "dist", "image")).digest, "the same inputs give the same digest").toBe(first);
    const chartZarf = parse(readFileSync(join(moduleDir, "dist", "zarf.yaml"), "utf8")) as ZarfYaml;
    expect(chartZarf.components[0]?.images).toEqual([TAG]);
    const chart = chartZarf.components[0]?.charts?.[0];
    expect(existsSync(join(moduleDir, "dist", chart?.localPath ?? "-", "Chart.yaml"))).toBe(true);
    expect(changed).not.toBe(first);
    const before = imageOf(join(work, "layout-1")).manifest.layers;
    const after = imageOf(join(work, "layout-3")).manifest.layers;
    const compressed = before.reduce((sum, layer) => sum + layer.size, 0);
    console.info(`image layers: ${(compressed / 2 ** 20).toFixed(1)} MiB compressed`);
    expect(compressed, "issue 19: under 60 MB compressed (Pepr's controller image: ~150 MB)").toBeLessThan(60_000_000);
    expect(after.map((l) => l.annotations?.["dev.capstan.layer"])).toEqual([
      "debian-base",
      "node",
      "capstan",
      "module",
    ]);
    expect(after.slice(0, 3)).toEqual(before.slice(0, 3));
    expect(after[3]?.digest).not.toBe(before[3]?.digest);
    expect(after[3]?.size ?? Number.POSITIVE_INFINITY, "the module layer is small").toBeLessThan(512 * 1024);

    // The SBOM is an artifact whose subject is the image.
    const sbomEntry = imageOf(join(work, "layout-1")).index.manifests.find(
      (m) => m.artifactType === "application/spdx+json",
    );
    expect(sbomEntry?.annotations?.["org.opencontainers.image.ref.name"]).toBe(`${first.replace(":", "-")}.sbom`);
    const sbomManifest = blob<{ subject: { digest: string }; layers: { digest: string }[] }>(
      join(work, "layout-1"),
      sbomEntry?.digest as string,
    );
    expect(sbomManifest.subject.digest).toBe(first);
    const sbom = blob<{ spdxVersion: string; packages: { name: string; versionInfo: string }[] }>(
      join(work, "layout-1"),
      sbomManifest.layers[0]?.digest as string,
    );
    expect(sbom.spdxVersion).toBe("SPDX-2.3");
    const names = sbom.packages.map((p) => p.name);
    for (const name of [
      "libc6",
      "libstdc++6",
      "tzdata",
      "ca-certificates",
      "node",
      "capstan",
      "undici",
      "imgpods-module",
    ]) {
      expect(names).toContain(name);
    }
  });

  it("runs as the generated Deployments in a read-only chroot: serves admission and runs the controller", {
    timeout: 200_000,
  }, async () => {
    if (!module) throw new Error("the first test did not build the module");
    const { client, namespace, moduleDir, uuid, work } = module;
    const layout = join(work, "layout-1");
    const bundle = join(work, "bundle");
    execFileSync("umoci", ["unpack", "--image", `${layout}:${TAG.split(":")[1]}`, bundle], { stdio: "pipe" });
    const rootfs = join(bundle, "rootfs");
    for (const absent of ["bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/apt-get", "usr/bin/dpkg"]) {
      expect(existsSync(join(rootfs, absent)), `/${absent} is not in the image`).toBe(false);
    }
    expect(readFileSync(join(rootfs, "app", "assets", "greeting.txt"), "utf8")).toBe("from-the-image\n");
    // Mount points a container runtime creates before it makes the root read-only.
    for (const dir of ["proc", "dev", "var/run/secrets/kubernetes.io/serviceaccount"]) {
      mkdirSync(join(rootfs, dir), { recursive: true });
    }
    const config = blob<{ config: { Entrypoint: string[]; Env: string[]; User: string; WorkingDir: string } }>(
      layout,
      imageOf(layout).manifest.config.digest,
    ).config;
    expect(config.User).toBe("65532:65532");

    const objects = parseManifests(readFileSync(findManifest(join(moduleDir, "dist")), "utf8"));
    const names = resourceNames(uuid, "capstan");
    const token = await installModule(client, namespace, names, objects, watchedNamespace);
    // The projected service-account volume, as a kubelet writes it.
    const serviceAccount = join(work, "serviceaccount");
    mkdirSync(serviceAccount);
    writeFileSync(join(serviceAccount, "token"), token);
    writeFileSync(join(serviceAccount, "ca.crt"), String(client.connection.tls.ca));
    writeFileSync(join(serviceAccount, "namespace"), namespace);
    const api = new URL(client.connection.server);

    const deployments = objects.filter((o): o is KubeObject => o.kind === "Deployment");
    expect(deployments).toHaveLength(2);
    for (const deployment of deployments) {
      const container = containerOf(deployment) as unknown as { command: string[]; image?: string };
      const role = literalEnv(deployment)[RuntimeEnv.role] as string;
      expect(container.image).toBe(TAG);
      expect(container.command, "the Deployment runs the image's entrypoint").toEqual([
        ...config.Entrypoint,
        "--role",
        role,
      ]);
      for (const replica of [0, 1]) {
        pods.push(
          await startPod(deployment, replica, objects, {
            rootfs,
            work,
            serviceAccount,
            imageEnv: config.Env,
            apiHost: api.hostname,
            apiPort: api.port,
            workingDir: config.WorkingDir,
          }),
        );
      }
    }

    await routeWebhooksToPod(client, names, pods);
    const suffix = namespace.slice(-8);
    await expectAdmission(client, watchedNamespace, suffix);
    await expectControllerLeader(client, namespace, names, pods);
    // The Watch reads its includedFile from the image.
    await expectWatchWritesStore(client, namespace, watchedNamespace, suffix, "from-the-image", pods);
  });
});

interface PodHost {
  readonly rootfs: string;
  readonly work: string;
  readonly serviceAccount: string;
  readonly imageEnv: readonly string[];
  readonly apiHost: string;
  readonly apiPort: string;
  readonly workingDir: string;
}

// Run as root in new mount and PID namespaces: the root filesystem is bound read-only, then the
// volumes are mounted over it; the container's process is the Deployment's command as uid 65532
// (supplementary groups dropped) with the image's root and working directory.
const POD_SCRIPT = `set -e
R="$1"; shift
mount --bind "$R" "$R"; mount -o remount,bind,ro "$R"
mount -t proc proc "$R/proc"
mount -t tmpfs -o size=1m,mode=755 tmpfs "$R/dev"
for n in null zero random urandom; do touch "$R/dev/$n"; mount --bind "/dev/$n" "$R/dev/$n"; done
mount --bind "$CHUNKS" "$R/app/module-chunks"; mount -o remount,bind,ro "$R/app/module-chunks"
mount --bind "$WORKDIR" "$R/app/module"
mount -t tmpfs -o size=64m,mode=1777 tmpfs "$R/tmp"
mount --bind "$SA" "$R/var/run/secrets/kubernetes.io/serviceaccount"
mount -o remount,bind,ro "$R/var/run/secrets/kubernetes.io/serviceaccount"
W="$IMAGE_WORKDIR"; unset CHUNKS WORKDIR SA IMAGE_WORKDIR
exec unshare --root="$R" --wd="$W" --setgid 65532 --setuid 65532 "$@"
`;

async function startPod(
  deployment: KubeObject,
  replica: number,
  objects: readonly KubeObject[],
  host: PodHost,
): Promise<Pod> {
  const env = literalEnv(deployment);
  const role = env[RuntimeEnv.role] ?? "unknown";
  const name = `${deployment.metadata.name}-${replica}`;
  const chunks = join(host.work, "pods", name, "chunks");
  const moduleWork = join(host.work, "pods", name, "module");
  mkdirSync(chunks, { recursive: true });
  mkdirSync(moduleWork, { recursive: true });
  chownSync(moduleWork, 65532, 65532);
  for (const [file, bytes] of projectedChunkFiles(deployment, objects)) {
    writeFileSync(join(chunks, file), bytes);
    chmodSync(join(chunks, file), 0o644);
  }
  const port = await freePort();
  const imageEnv = Object.fromEntries(host.imageEnv.map((entry) => entry.split(/=(.*)/s).slice(0, 2)));
  const child = spawn(
    "unshare",
    [
      "--mount",
      "--pid",
      "--fork",
      "--kill-child",
      "sh",
      "-c",
      POD_SCRIPT,
      "pod",
      host.rootfs,
      ...containerOf(deployment).command,
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      env: {
        // The host tools (unshare, mount, chroot) need a PATH; inside the chroot it finds /usr/local/bin/node.
        ...imageEnv,
        PATH: `${imageEnv.PATH}:/usr/sbin:/sbin`,
        ...env,
        LOG_LEVEL: "info",
        [RuntimeEnv.podName]: name,
        [RuntimeEnv.servePort]: String(port),
        KUBERNETES_SERVICE_HOST: host.apiHost,
        KUBERNETES_SERVICE_PORT: host.apiPort,
        CHUNKS: chunks,
        WORKDIR: moduleWork,
        SA: host.serviceAccount,
        IMAGE_WORKDIR: host.workingDir,
      },
    },
  );
  const pod: Pod = { role, name, port, process: child, output: "" };
  child.stdout?.on("data", (c: Buffer) => (pod.output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (pod.output += c.toString()));
  return pod;
}
